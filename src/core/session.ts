import type { JobLimits, RawJobResult } from "./job.js";
import type { SandboxInfo } from "./sandbox.js";
import type { Benchmark, Task, TaskSpec, Test } from "./task.js";
import type { ReferenceFailure } from "./run.js";
import type { SampleVerdict } from "./sample-verdict.js";

/**
 * The judging session: the one way to judge programs. It owns the engine check, the sandbox
 * image, the pool, the expected values (computed once, cached) and the limits; pipelines
 * (eval, run, bench, soak), the test-case generator, the search and the judging service all
 * judge through it, so none of them opens a pool of its own.
 */

/** How one program is judged. */
export interface JudgeRequestOptions {
  /**
   * Stop at the first failing test (EvalPlus's semantics; the default), or run every test and
   * report each one's outcome (rewards need the passed fraction).
   */
  untilFirstFailure?: boolean;
  /** Run these tests instead of the task's own (generated tests, a subset). Their expectations must be resolved. */
  tests?: readonly Test[];
  /** Aborting it cuts the job short; the promise then rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** One judged program: a sample verdict without its sample identity, plus the counts rewards need. */
export interface Judgement extends Omit<SampleVerdict, "task_id" | "sample_index"> {
  task_id: string;
  /** Tests that passed, of `total` run or due (with first-failure semantics the rest count as not passed). */
  passed: number;
  total: number;
  /** The program (and the setup code) loaded without a syntax error. */
  compiles: boolean;
}

/** One item of a batch. */
export interface JudgeItem {
  task: Task | string;
  program: string;
  options?: JudgeRequestOptions;
}

/** How a program is run (not judged) by `JudgingSession.run`. */
export interface RunProgramOptions {
  /** The program's standard input (default empty). */
  stdin?: string;
  /**
   * This run's limits over the session's own. `testSeconds` (one number) bounds the whole run;
   * a `memoryMb` above the session's is cut to it, since the containers are sized for that.
   */
  limits?: Partial<JobLimits>;
  /** Aborting it cuts the job short; the promise then rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** A task resolved from its spec by `JudgingSession.resolveTasks`. */
export interface ResolvedTask {
  /** With expected values resolved; a test the reference failed is left out (or, an assert, runs whole and weak). */
  task: Task;
  /** Each test the spec's reference failed, and what became of it. */
  failures: ReferenceFailure[];
}

/** An open judging session. */
export interface JudgingSession {
  /** The benchmark with every expectation resolved (reference failures left out or marked). */
  readonly benchmark: Benchmark;
  readonly sandbox: SandboxInfo;
  readonly limits: JobLimits;
  readonly hashSeed: number;
  /** The task with this id (MBPP's `2`, `"2"` and `Mbpp/2` forms are accepted); throws InputError when unknown. */
  task(taskId: string): Task;
  /**
   * Judge one program. Identical (program, tests, limits) are judged once per session (and
   * reused from the verdict cache across sessions when it is on). Infrastructure faults after
   * the sandbox's retry give a `sandbox_error` judgement, never a throw; an abort throws.
   */
  judge(task: Task | string, program: string, options?: JudgeRequestOptions): Promise<Judgement>;
  /** Judge many programs at once over the pool; results in input order. */
  judgeMany(items: readonly JudgeItem[], options?: { signal?: AbortSignal }): Promise<Judgement[]>;
  /**
   * Tasks outside the benchmark (a task object a client sends) resolved as the benchmark's were, one per spec in order:
   * asserts decomposed, expected values computed by running each spec's reference in reference
   * containers of their own (never a candidate's), so the session judges them on the host.
   * Resolved once per session by content, and cached on disk like a benchmark.
   */
  resolveTasks(specs: readonly TaskSpec[]): Promise<ResolvedTask[]>;
  /**
   * Run a program once as `__main__` on `stdin`, in the candidates' pool, and hand back what the
   * sandbox observed, judged by nobody: a job with one `stdio` test and no expectation, so the
   * raw result's test 0 holds the program's stdout as its value (or how it ended). For clients
   * that compare output themselves (SandboxFusion's `/run_code`); never a verdict. Throws
   * SandboxFault when the sandbox fails twice; an abort throws.
   */
  run(program: string, options?: RunProgramOptions): Promise<RawJobResult>;
  /** Removes every container of the session. Safe to call twice. */
  close(): Promise<void>;
}
