import { stat } from "node:fs/promises";
import { join } from "node:path";
import { VerdictError } from "../../core/index.js";
import type { BenchmarkSpec, RunManifest, TestSpec } from "../../core/index.js";
import { localDataDir } from "../../benchmarks/data.js";
import { isBenchmarkName, loadBenchmark } from "../../benchmarks/registry.js";
import { cacheDir } from "../../util/paths.js";

/** What a report shows of a task besides the run's verdicts. */
export interface TaskInfo {
  /** The task's description. */
  text: string;
  /** Test id → how the test reads (the assert, or the call with its inputs). */
  displays: Map<string, string>;
}

/** The benchmark behind a run, when its data could be found; `note` says why not, or what differs. */
export interface LoadedTaskInfo {
  spec: BenchmarkSpec | null;
  tasks: Map<string, TaskInfo> | null;
  note?: string;
}

/** Where to look for benchmark data. */
export interface TaskInfoOptions {
  /** `--data DIR`; else $VERDICT_DATA_DIR; else the data beside the checkout; else the download cache when it holds every file. */
  dataDir?: string;
}

/**
 * Loads the benchmark a run was judged on, for test inputs and task descriptions. A report is
 * read offline, so this never downloads: without local data it returns no tasks and a note.
 */
export async function loadTaskInfo(manifest: RunManifest, options: TaskInfoOptions = {}): Promise<LoadedTaskInfo> {
  const builtIn = isBenchmarkName(manifest.benchmark);
  const dataDir = localDataDir(options.dataDir)?.dir ?? (builtIn ? await cachedDataDir(manifest) : undefined);
  if (builtIn && dataDir === undefined) {
    return {
      spec: null,
      tasks: null,
      note: `test inputs and task descriptions are not shown: no local data for ${manifest.benchmark} (pass --data DIR)`,
    };
  }
  let spec: BenchmarkSpec;
  try {
    spec = await loadBenchmark(manifest.benchmark, { split: manifest.split, challenge: true, ...(dataDir === undefined ? {} : { dataDir }) });
  } catch (err) {
    if (!(err instanceof VerdictError)) throw err;
    return { spec: null, tasks: null, note: `test inputs and task descriptions are not shown: ${err.message}` };
  }
  const tasks = new Map<string, TaskInfo>();
  for (const task of spec.tasks) {
    tasks.set(task.taskId, { text: task.text, displays: new Map(task.tests.map((t) => [t.id, displayOf(t)])) });
  }
  const result: LoadedTaskInfo = { spec, tasks };
  if (!sameData(spec.dataSha256, manifest.data_sha256)) {
    result.note = "the benchmark data found differs from the data the run was judged on (sha256): test inputs may not match";
  }
  return result;
}

/** How a test reads in a report: its display, else its source or stdin. */
function displayOf(test: TestSpec): string {
  if (test.display !== undefined) return test.display;
  const input = test.input;
  switch (input.kind) {
    case "assert":
    case "expr":
    case "exec":
      return input.src;
    case "stdio":
      return `stdin: ${JSON.stringify(input.stdin)}`;
    case "call":
      return `${input.fn}(…)`;
  }
}

/** The download cache, when it holds every data file the run was judged on. */
async function cachedDataDir(manifest: RunManifest): Promise<string | undefined> {
  const dir = cacheDir("data");
  const names = Object.keys(manifest.data_sha256);
  if (names.length === 0) return undefined;
  const present = await Promise.all(names.map((n) => stat(join(dir, n)).then((s) => s.isFile(), () => false)));
  return present.every(Boolean) ? dir : undefined;
}

function sameData(x: Record<string, string>, y: Record<string, string>): boolean {
  const keys = new Set([...Object.keys(x), ...Object.keys(y)]);
  return [...keys].every((k) => x[k] === y[k]);
}
