import { randomBytes } from "node:crypto";
import type { Sample } from "../core/sample.js";
import type { Benchmark, Test } from "../core/task.js";
import type { SplitMode } from "../runner/tail-split.js";
import { judgeSamples } from "../runner/judge-samples.js";
import type { LocalJudgingSession } from "../session/session-options.js";
import { figure, type Figure } from "./bench-jobs.js";

/**
 * The "tail" measure of `verdict bench`: the case tail splitting is for. Seven quick samples
 * and, last, one whose twelve tests each spend TEST_CPU_SECONDS of CPU (its task's reference is
 * quick, so no estimate puts it first): without splitting one worker runs it alone at the end.
 * Timed with tail splitting on and off, in the same bench run.
 */

const TESTS = 12;
const TEST_CPU_SECONDS = 0.4;
const QUICK = 7;

/** The figures: seconds to judge the batch each way, and off / on. */
export interface TailMeasure {
  samples: number;
  long_sample_cpu_seconds: number;
  on: Figure;
  off: Figure;
  /** off / on (the medians): how much sooner the batch ends with tail splitting. */
  speedup: number;
  cuts: number;
}

const call = (i: number): Test => ({ id: `test/${i}`, group: "test", input: { kind: "call", fn: "sq", args: [i] }, expect: { expected: BigInt(i * i), comparator: { kind: "eq" } } });

/** The measure's tasks: one per sample, each with TESTS calls of sq. */
export const TAIL_BENCHMARK: Benchmark = {
  name: "tail",
  split: "all",
  dataSha256: {},
  groups: [],
  tasks: Array.from({ length: QUICK + 1 }, (_, t) => ({ taskId: `tail/${t}`, text: "Square it.", prompt: "", reference: "", setup: "", tests: Array.from({ length: TESTS }, (_, i) => call(i)) })),
};

/** The batch, the long sample last; a salt per repeat keeps every program new. */
function batch(): Sample[] {
  const salt = `# ${randomBytes(4).toString("hex")}\n`;
  const quick = `${salt}def sq(x):\n    return x * x\n`;
  const slow = `${salt}import time\ndef sq(x):\n    t = time.process_time()\n    while time.process_time() - t < ${TEST_CPU_SECONDS}:\n        pass\n    return x * x\n`;
  return TAIL_BENCHMARK.tasks.map((t, k) => ({ taskId: t.taskId, sampleIndex: 0, program: k === QUICK ? slow : quick }));
}

/** Judges the batch `repeat` times in sessions opened by `open` with tail splitting on and off. */
export async function measureTail(open: (split: SplitMode) => Promise<LocalJudgingSession>, repeat: number, log: (line: string) => void): Promise<TailMeasure> {
  const seconds: Record<"tail" | "off", number[]> = { tail: [], off: [] };
  let cuts = 0;
  for (const split of ["tail", "off"] as const) {
    const session = await open(split);
    try {
      await session.warm();
      for (let r = 0; r < repeat; r++) {
        log(`bench: a long sample at the tail, tail splitting ${split === "tail" ? "on" : "off"} (${r + 1}/${repeat})`);
        const t0 = performance.now();
        await judgeSamples(batch(), (s) => session.judgeSample(s), { concurrency: session.sandbox.workers * 2, progress: false });
        seconds[split].push((performance.now() - t0) / 1000);
      }
      if (split === "tail") cuts = session.splitStats().cuts;
    } finally {
      await session.close();
    }
  }
  const on = figure(seconds.tail);
  const off = figure(seconds.off);
  return { samples: QUICK + 1, long_sample_cpu_seconds: TESTS * TEST_CPU_SECONDS, on, off, speedup: off.median / on.median, cuts };
}
