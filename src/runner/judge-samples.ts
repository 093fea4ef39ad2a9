import PQueue from "p-queue";
import type { Sample } from "../core/sample.js";
import type { SampleVerdict } from "../core/sample-verdict.js";
import { interruptReason } from "./cleanup.js";
import { createProgress, type ProgressStream } from "./progress.js";
import { sampleKey, type ResultsStore } from "./results-store.js";

/**
 * Scheduling a run's samples: they are handed to a judge as they arrive (a list, or a stream
 * still being generated), a few more in flight than there are workers so no container idles
 * while the host judges, each verdict appended to the results store the moment it is made.
 * The judging itself is the session's (src/session/); this is only the order and the store.
 */

/** What the stop promise settles with: the loop leaves its stream at once. */
const STOPPED = Symbol("stopped");

/** What judging one sample gives: its verdict and the head of its output (for samples.jsonl). */
export interface JudgedSample {
  verdict: SampleVerdict;
  stdout?: string;
  stderr?: string;
}

/** How samples are scheduled and where their verdicts go. */
export interface ScheduleOptions {
  /** Samples in flight at once (the pool's workers × 2 keeps every container busy). */
  concurrency: number;
  /** Append each verdict here as it is made (and skip samples it already holds). */
  store?: ResultsStore;
  progress: boolean;
  /** How many samples will come, for the progress bar (unknown while streaming). */
  total?: number;
  /** Where the progress bar draws (default stderr). */
  progressStream?: ProgressStream;
  /** More for the progress bar, asked each time it draws (each engine's rate). */
  progressDetail?: () => string;
  /** Called with each verdict as it is made. */
  onVerdict?: (v: SampleVerdict) => void;
  /**
   * Aborting it stops the judging: no new job starts, verdicts still in flight are dropped (a
   * resume judges them again), and judgeSamples rejects with the signal's reason.
   */
  signal?: AbortSignal;
  /**
   * Keep every verdict for the return value (the default). False for long streams: verdicts
   * go only to `onVerdict` and the store, memory stays flat, and the result is empty.
   */
  collect?: boolean;
}

/**
 * Judges samples with `judge` as they arrive, skipping those the store already holds (and a
 * sample listed twice). Verdicts come back in the order the samples came in. The first failure
 * (an infrastructure error, a full disk, an interrupt) stops the judging: jobs in flight finish
 * or are cut short, nothing more is written, and the failure is thrown.
 */
export async function judgeSamples(
  samples: Iterable<Sample> | AsyncIterable<Sample>,
  judge: (sample: Sample) => Promise<JudgedSample>,
  opts: ScheduleOptions,
): Promise<SampleVerdict[]> {
  const { store, signal } = opts;
  const collect = opts.collect ?? true;
  const results = new Map<string, SampleVerdict>(collect ? (store?.existing ?? []) : []);
  const seen = new Set<string>(store?.existing.keys() ?? []);
  /** Samples a resume found judged and not yet counted on the progress bar. */
  const found = new Set<string>(store?.existing.keys() ?? []);
  const order: string[] = [];
  const progress = createProgress(opts.total ?? 0, "judging", opts.progress && opts.total !== undefined, opts.progressStream, opts.progressDetail);
  const queue = new PQueue({ concurrency: Math.max(1, opts.concurrency) });
  // A resume's bar counts what is already judged: it ends at total/total, not at what was left.
  let done = 0;
  let judgedNow = 0;
  let failure: { err: unknown } | undefined;
  let stopNow = (): void => {};
  // Settles on the first failure: a stream waiting for its next sample (a generation) is not waited for.
  const stopped = new Promise<typeof STOPPED>((resolve) => (stopNow = () => resolve(STOPPED)));
  const stop = (err: unknown): void => {
    failure ??= { err };
    queue.clear();
    stopNow();
  };
  const onAbort = (): void => stop(interruptReason(signal ?? AbortSignal.abort()));
  if (signal?.aborted) onAbort();
  signal?.addEventListener("abort", onAbort, { once: true });

  const judgeOne = async (sample: Sample, key: string): Promise<void> => {
    const judged = await judge(sample);
    // After a stop, a verdict still in flight may come from a job the stop cut short (a
    // closed pool): it is dropped, and a resume judges its sample again.
    if (failure !== undefined) return;
    store?.appendSample({ task_id: sample.taskId, sample_index: sample.sampleIndex, program: sample.program, stdout: judged.stdout, stderr: judged.stderr });
    store?.append(judged.verdict);
    if (collect) results.set(key, judged.verdict);
    opts.onVerdict?.(judged.verdict);
    progress.tick(++done, ++judgedNow);
  };
  const iterator: Iterator<Sample> | AsyncIterator<Sample> = Symbol.asyncIterator in samples ? samples[Symbol.asyncIterator]() : samples[Symbol.iterator]();
  try {
    while (failure === undefined) {
      const pending = Promise.resolve(iterator.next());
      // Left behind by a stop, its later failure must not go unhandled.
      pending.catch(() => undefined);
      const next = await Promise.race([pending, stopped]);
      if (next === STOPPED || next.done === true) break;
      const sample = next.value;
      const key = sampleKey(sample.taskId, sample.sampleIndex);
      if (collect) order.push(key);
      if (seen.has(key)) {
        if (found.delete(key)) progress.tick(++done, judgedNow);
        continue;
      }
      seen.add(key);
      // Backpressure: the next sample is taken only once a job slot is about to free up.
      await queue.onSizeLessThan(1);
      if (failure !== undefined) break;
      queue.add(() => judgeOne(sample, key)).catch(stop);
    }
  } catch (err) {
    // The stream itself failed (a generation fault): the run cannot complete.
    stop(err);
  } finally {
    // A stream left part-way is released; not awaited, since it may be waiting on its source.
    if (failure !== undefined) void Promise.resolve(iterator.return?.()).catch(() => undefined);
    await queue.onIdle();
    signal?.removeEventListener("abort", onAbort);
    progress.end();
  }
  if (failure !== undefined) throw failure.err;
  if (!collect) return [];
  return order.map((k) => {
    const v = results.get(k);
    if (v === undefined) throw new Error(`internal: no verdict for ${k}`);
    return v;
  });
}
