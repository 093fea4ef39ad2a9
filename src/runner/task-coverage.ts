import { InputError, SetupError } from "../core/errors.js";
import type { MissingPolicy } from "../core/run.js";
import type { Sample } from "../core/sample.js";
import type { SampleVerdict } from "../core/sample-verdict.js";
import { assertKsFit } from "../metrics/summary.js";
import { explainUnscorable, type TaskReferenceFailure } from "./reference-failures.js";

/**
 * Which of a benchmark's tasks a run's figures cover, decided before anything is judged: a
 * figure over fewer tasks than the benchmark has is either refused or labelled, never silent.
 */


/**
 * Checks loaded samples against the benchmark before any container starts: tasks without a
 * sample are an InputError unless the policy says how to score them (naming how many and the
 * first ten), and every requested k needs that many samples of each task.
 */
export function checkSamplesCover(
  loaded: { samples: readonly Sample[]; missing: readonly string[]; source: string },
  taskCount: number,
  policy: MissingPolicy,
  ks: readonly number[],
): void {
  const { missing } = loaded;
  if (policy === "error" && missing.length > 0) {
    const first = missing.slice(0, 10).join(", ");
    throw new InputError(
      `${missing.length} of the benchmark's ${taskCount} tasks have no sample (${missing.length > 10 ? `the first ten: ${first}` : first}); ` +
        "score them as failures with --missing fail (a submission), or score only the tasks that have samples, labelled partial, with --missing skip",
      loaded.source === "reference" ? undefined : loaded.source,
    );
  }
  const perTask = new Map<string, number>();
  for (const s of loaded.samples) perTask.set(s.taskId, (perTask.get(s.taskId) ?? 0) + 1);
  assertKsFit(perTask, ks);
}

/**
 * Tasks with no test left can score nothing. With `skip` their samples are set aside (the
 * summary lists the tasks and labels the figures partial); otherwise the run stops here, before
 * any candidate runs, with the reason. Returns the samples still to judge.
 */
export function setAsideUnscorable(
  samples: readonly Sample[],
  unscorable: readonly string[],
  failures: readonly TaskReferenceFailure[],
  policy: MissingPolicy,
): Sample[] {
  if (unscorable.length === 0) return [...samples];
  if (policy !== "skip") {
    throw new SetupError(`${explainUnscorable(unscorable, failures)} To score the other tasks, labelled partial, use --missing skip.`);
  }
  const out = new Set(unscorable);
  return samples.filter((s) => !out.has(s.taskId));
}

/** The verdict of a task with no sample under `--missing fail`: a failure, with no program and no test run. */
export function missingVerdict(taskId: string, groups: readonly string[]): SampleVerdict {
  return {
    task_id: taskId,
    sample_index: 0,
    status: "missing",
    ...(groups.includes("base") ? { base_status: "missing" as const } : {}),
    ...(groups.includes("plus") ? { plus_status: "missing" as const } : {}),
    tests: [],
    weak: false,
    seconds: 0,
    cached: false,
    // No program: the hash of none, so no real program's verdict can ever be taken for it.
    program_sha256: "",
  };
}
