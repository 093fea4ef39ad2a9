import { fileURLToPath } from "node:url";
import { z } from "zod";
import { SandboxFault } from "../core/errors.js";
import type { BenchmarkSpec, Comparator, View } from "../core/task.js";
import { describeIssues } from "./benchmark-config.js";

/**
 * The trusted assert decomposer (src/benchmarks/python/decompose_asserts.py), from src/ and
 * dist/ alike. It runs as a stdio job: JSON request on stdin, JSON answer on stdout.
 */
export const DECOMPOSE_ASSERTS_SCRIPT = fileURLToPath(
  new URL("../../src/benchmarks/python/decompose_asserts.py", import.meta.url),
);

/**
 * One assert to decompose. The program's side is marked by the names the reference and the
 * setup code bind at top level; give the code (the script finds the names) or the names.
 */
export interface DecomposeRequestItem {
  key: string;
  src: string;
  reference?: string;
  setup?: string;
  candidate_names?: string[];
  setup_names?: string[];
}

/** What decompose_asserts.py reads on stdin. */
export interface DecomposeRequest {
  items: DecomposeRequestItem[];
}

const comparatorSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("eq") }),
  z.object({ kind: z.literal("truthy") }),
  z.object({ kind: z.literal("falsy") }),
  z.object({ kind: z.literal("isclose"), relTol: z.number(), absTol: z.number() }),
]);

/** The views decompose_asserts.py may ask the judge to apply (its VIEWS). */
const viewSchema = z.enum(["set", "frozenset", "list", "tuple", "len", "int"]) satisfies z.ZodType<View>;

const resultSchema = z.discriminatedUnion("ok", [
  z.object({
    key: z.string(),
    ok: z.literal(true),
    candidate: z.string().min(1),
    expected: z.string().min(1),
    comparator: comparatorSchema,
    view: z.array(viewSchema).min(1).optional(),
  }),
  z.object({ key: z.string(), ok: z.literal(false), reason: z.string() }),
]);

const responseSchema = z.object({ items: z.array(resultSchema) });

/**
 * One decomposed assert: `candidate` is a Python expression the job evaluates (in the
 * program's namespace, after setup: the program's own answer, nothing run on it); `expected`
 * one that trusted code evaluates with builtins only; the value, after `view` (builtins the
 * host applies to it as plain data), is judged with `comparator`. `ok: false`: the assert runs
 * whole in the job, and its pass is weak.
 */
export type DecomposedAssert =
  | { ok: true; candidate: string; expected: string; comparator: Comparator; view?: View[] }
  | { ok: false; reason: string };

/** The key an assert test travels under: unambiguous for any task and test id. */
export function assertKey(taskId: string, testId: string): string {
  return JSON.stringify([taskId, testId]);
}

/** Every assert test of a benchmark spec, ready to send to decompose_asserts.py. */
export function buildDecomposeRequest(spec: BenchmarkSpec): DecomposeRequest {
  const items: DecomposeRequestItem[] = [];
  for (const task of spec.tasks) {
    for (const test of task.tests) {
      if (test.input.kind !== "assert") continue;
      items.push({ key: assertKey(task.taskId, test.id), src: test.input.src, reference: task.reference, setup: task.setup });
    }
  }
  return { items };
}

/**
 * Reads decompose_asserts.py's stdout, by key. The script is trusted, but it ran in the
 * sandbox: an answer of the wrong shape is an infrastructure fault, not a verdict.
 */
export function parseDecomposeResponse(stdout: string): Map<string, DecomposedAssert> {
  let raw: unknown;
  try {
    raw = JSON.parse(stdout) as unknown;
  } catch (err) {
    throw new SandboxFault(`assert decomposer printed invalid JSON: ${(err as Error).message}`);
  }
  const parsed = responseSchema.safeParse(raw);
  if (!parsed.success) throw new SandboxFault(`assert decomposer answered badly: ${describeIssues(parsed.error)}`);
  const out = new Map<string, DecomposedAssert>();
  for (const item of parsed.data.items) {
    out.set(
      item.key,
      item.ok
        ? {
            ok: true,
            candidate: item.candidate,
            expected: item.expected,
            comparator: item.comparator,
            ...(item.view !== undefined ? { view: item.view } : {}),
          }
        : { ok: false, reason: item.reason },
    );
  }
  return out;
}
