/**
 * Mutants of reference solutions: wrong programs for measuring how many a test set kills.
 * They are made by a trusted Python script (src/tcg/python/make_mutants.py: operator,
 * comparison, constant and off-by-one mutations with `ast`, seeded, capped) that runs in the
 * sandbox through the judging session (`JudgingSession.run`: a stdio job judged by nobody), as
 * the assert decomposer does; nothing here opens a pool. A mutant that passes every
 * benchmark test is equivalent to its reference as far as anyone can tell, and is left out of
 * kill rates (screenMutants).
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { SandboxFault } from "../core/errors.js";
import type { JobLimits } from "../core/job.js";
import type { JudgingSession } from "../core/session.js";
import type { SampleVerdict } from "../core/sample-verdict.js";
import { describeIssues } from "../benchmarks/benchmark-config.js";
import { REFERENCE_LIMITS } from "../sandbox/limits.js";

/** The trusted mutant maker, from src/ and dist/ alike. */
export const MAKE_MUTANTS_SCRIPT = fileURLToPath(new URL("../../src/tcg/python/make_mutants.py", import.meta.url));

/** Mutants per reference unless asked otherwise. */
export const DEFAULT_MAX_MUTANTS = 20;

/** References per job: keeps each job's stdout (about max × program size each) far below the value cap. */
const REFERENCES_PER_JOB = 25;

/** The kinds of mutation the script makes. */
export const MUTATION_OPERATORS = ["operator", "comparison", "constant", "off_by_one"] as const;

/** One reference to mutate. */
export interface MutantRequest {
  /** Names the reference in the answer (a task id). */
  key: string;
  program: string;
  seed: number;
  /** At most this many mutants (default 20). */
  max?: number;
}

/** One mutant: a whole program, and what was changed. */
export interface Mutant {
  /** `<key>#m<index>`. */
  id: string;
  key: string;
  index: number;
  program: string;
  operator: (typeof MUTATION_OPERATORS)[number];
  line: number;
  /** The changed expression before and after, e.g. `range(n) → range(n + 1)`. */
  description: string;
}

/** The mutants of one reference (and how many mutation sites it had), or why it could not be mutated. */
export type MutantsOf = { ok: true; sites: number; mutants: Mutant[] } | { ok: false; reason: string };

const responseSchema = z.object({
  items: z.array(
    z.discriminatedUnion("ok", [
      z.object({
        key: z.string(),
        ok: z.literal(true),
        sites: z.int().nonnegative(),
        mutants: z.array(
          z.object({ program: z.string().min(1), operator: z.enum(MUTATION_OPERATORS), line: z.int().nonnegative(), description: z.string() }),
        ),
      }),
      z.object({ key: z.string(), ok: z.literal(false), reason: z.string() }),
    ]),
  ),
});

/**
 * Reads make_mutants.py's stdout, by key. The script is trusted but ran in the sandbox: an
 * answer of the wrong shape is an infrastructure fault, not a result.
 */
export function parseMutantsResponse(stdout: string): Map<string, MutantsOf> {
  let raw: unknown;
  try {
    raw = JSON.parse(stdout) as unknown;
  } catch (err) {
    throw new SandboxFault(`mutant maker printed invalid JSON: ${(err as Error).message}`);
  }
  const parsed = responseSchema.safeParse(raw);
  if (!parsed.success) throw new SandboxFault(`mutant maker answered badly: ${describeIssues(parsed.error)}`);
  const out = new Map<string, MutantsOf>();
  for (const item of parsed.data.items) {
    if (!item.ok) {
      out.set(item.key, { ok: false, reason: item.reason });
      continue;
    }
    const mutants = item.mutants.map((m, index): Mutant => ({ id: `${item.key}#m${index}`, key: item.key, index, ...m }));
    out.set(item.key, { ok: true, sites: item.sites, mutants });
  }
  return out;
}

/** What makeMutants needs of a judging session: running a trusted program on stdin, judged by nobody. */
export type ProgramRunner = Pick<JudgingSession, "run">;

/** What makeMutants needs besides the session and the references. */
export interface MakeMutantsOptions {
  /** Limits of the maker's jobs over the session's (default: the reference limits, 300 CPU seconds per job; memory is capped at the session's). */
  limits?: Partial<JobLimits>;
  signal?: AbortSignal;
}

/**
 * Mutants of each reference, by key, made in the sandbox (a few references per job, the jobs
 * spread over the session's pool). Deterministic: the same programs, seeds and caps give the
 * same mutants.
 */
export async function makeMutants(session: ProgramRunner, requests: readonly MutantRequest[], opts: MakeMutantsOptions = {}): Promise<Map<string, MutantsOf>> {
  const script = readFileSync(MAKE_MUTANTS_SCRIPT, "utf8");
  const limits = opts.limits ?? { ...REFERENCE_LIMITS, testSeconds: 300 };
  const chunks: MutantRequest[][] = [];
  for (let i = 0; i < requests.length; i += REFERENCES_PER_JOB) chunks.push(requests.slice(i, i + REFERENCES_PER_JOB));
  const answers = await Promise.all(
    chunks.map(async (chunk) => {
      const items = chunk.map((r) => ({ key: r.key, program: r.program, seed: r.seed, max: r.max ?? DEFAULT_MAX_MUTANTS }));
      const raw = await session.run(script, { stdin: JSON.stringify({ items }), limits, ...(opts.signal !== undefined ? { signal: opts.signal } : {}) });
      const result = raw.tests[0];
      if (raw.load.st !== "ok" || result?.st !== "value" || typeof result.v !== "string") {
        throw new SandboxFault(
          `the mutant maker failed: load ${raw.load.st} ${raw.load.msg ?? ""}; test ${result?.st ?? "missing"} ${result?.exc ?? ""} ${result?.msg ?? ""}\n${raw.stderr.slice(-2000)}`,
        );
      }
      return parseMutantsResponse(result.v);
    }),
  );
  const out = new Map<string, MutantsOf>();
  for (const answer of answers) for (const [key, value] of answer) out.set(key, value);
  for (const r of requests) if (!out.has(r.key)) throw new SandboxFault(`the mutant maker gave no answer for ${r.key}`);
  return out;
}

/** Mutants sorted by what the benchmark's own tests said of them. */
export interface MutantScreen {
  /** Fail some benchmark test: wrong programs for the kill rate. */
  kept: Mutant[];
  /** Pass every benchmark test: indistinguishable from the reference, so left out. */
  equivalent: Mutant[];
  /** Do not even load (an error at import): no test is needed to reject them, so left out. */
  stillborn: Mutant[];
  /** No verdict, or a sandbox error: unknown, so left out. */
  undetermined: Mutant[];
}

/** Sorts mutants by their verdicts on the benchmark's tests (by mutant id); see MutantScreen. */
export function screenMutants(mutants: readonly Mutant[], verdicts: ReadonlyMap<string, SampleVerdict>): MutantScreen {
  const screen: MutantScreen = { kept: [], equivalent: [], stillborn: [], undetermined: [] };
  for (const m of mutants) {
    const v = verdicts.get(m.id);
    if (v === undefined) screen.undetermined.push(m);
    else if (v.status === "pass") screen.equivalent.push(m);
    else if (v.load_detail !== undefined || v.status === "syntax_error") screen.stillborn.push(m);
    // A real failure anywhere makes it wrong; sandbox errors alone say nothing.
    else if (v.tests.some((t) => t.outcome !== "pass" && t.outcome !== "sandbox_error")) screen.kept.push(m);
    else screen.undetermined.push(m);
  }
  return screen;
}
