import { readFile } from "node:fs/promises";
import { z } from "zod";
import { InputError } from "../core/errors.js";
import type { BenchmarkSpec, TaskSpec } from "../core/task.js";
import { type BenchmarkConfig, describeIssues, loadBenchmarkConfig, splitRange } from "./benchmark-config.js";
import { resolveDataFile } from "./data.js";
import type { BenchmarkLoadOptions } from "./load-options.js";
import { assertTests, inSplit, normalizeNewlines } from "./mbpp.js";

/** One task of sanitized-mbpp.json: the task text is `prompt` here, `text` in full MBPP. */
const sanitizedRowSchema = z.object({
  task_id: z.int().positive(),
  prompt: z.string(),
  code: z.string(),
  test_imports: z.array(z.string()),
  test_list: z.array(z.string().min(1)).min(1),
});

/** Loads the hand-verified MBPP subset (427 tasks); test_imports run before the asserts. */
export async function loadMbppSanitized(
  opts: BenchmarkLoadOptions = {},
  config?: BenchmarkConfig,
): Promise<BenchmarkSpec> {
  const cfg = config ?? (await loadBenchmarkConfig("mbpp-sanitized"));
  const split = opts.split ?? cfg.splits.default;
  const range = splitRange(cfg, split);
  const source = cfg.data[0];
  if (!source) throw new InputError(`${cfg.name} has no data file`);
  const data = await resolveDataFile(source.file, { source, dataDir: opts.dataDir });
  let rows: unknown;
  try {
    rows = JSON.parse(await readFile(data.path, "utf8")) as unknown;
  } catch (err) {
    throw new InputError(`not valid JSON: ${(err as Error).message}`, data.path);
  }
  const parsed = z.array(sanitizedRowSchema).safeParse(rows);
  if (!parsed.success) throw new InputError(`not sanitized MBPP: ${describeIssues(parsed.error)}`, data.path);
  const tasks: TaskSpec[] = parsed.data
    .filter((row) => inSplit(row.task_id, range))
    .map((row) => ({
      taskId: String(row.task_id),
      text: row.prompt,
      prompt: "",
      reference: normalizeNewlines(row.code),
      setup: row.test_imports.map((line) => `${normalizeNewlines(line)}\n`).join(""),
      tests: assertTests(row.test_list, "test"),
    }));
  return { name: cfg.name, split, dataSha256: { [data.name]: data.sha256 }, tasks, groups: [...cfg.groups] };
}
