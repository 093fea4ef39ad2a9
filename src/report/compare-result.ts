import type { Outcome, RunManifest } from "../core/index.js";

/** The shapes of a comparison of two runs (src/report/compare.ts computes them; renderers and warnings read them). */

/** Settings of a comparison. */
export interface CompareOptions {
  /** Significance level for `worse` / `better` (default 0.05). */
  alpha?: number;
  /** Seed of the bootstrap and of a Monte Carlo permutation test (default 0). */
  seed?: number;
  /** Bootstrap and Monte Carlo resamples (default 10,000). */
  resamples?: number;
  /**
   * Runs that do not cover the same tasks: `same` (the default) refuses to compare them, since
   * a figure over other tasks is another figure; `intersection` compares the tasks both cover and says so.
   */
  tasks?: "same" | "intersection";
}

/** One run's side of a comparison; every number is over the matched samples only. */
export interface CompareSide {
  run_id: string;
  dir: string;
  samples_source: string;
  status: RunManifest["status"];
  created_at: string;
  /** Tasks and samples in the run, before matching. */
  tasks_total: number;
  samples_total: number;
  /** The benchmark's task count as the run's summary records it (null when unknown: no summary, or an old one). */
  tasks_benchmark: number | null;
  /** "partial: 10 of 399 tasks" when the run itself covers fewer tasks than its benchmark has. */
  partial: string | null;
  /** Tests the run's reference solution failed, and tasks left with no test (null when unknown). */
  reference_failures: number | null;
  tasks_unscorable: number | null;
  /** pass@k for each common k, as a fraction. */
  pass_at_k: Record<string, number>;
  /** 95% interval of pass@1: Wilson with one sample per task, else a bootstrap over tasks. */
  pass_at_1_ci: { low: number; high: number; method: "wilson" | "bootstrap" };
  outcomes: Partial<Record<Outcome, number>>;
}

/** A matched sample whose pass/fail changed between the runs. */
export interface Flip {
  task_id: string;
  sample_index: number;
  a: Outcome;
  b: Outcome;
  /** "pass → timeout", "wrong_answer → pass", … */
  kind: string;
  /** Why the failing side failed: its first failing test (id and detail) or its load error. */
  detail?: string;
}

/** The significance test used for pass@1. */
export type CompareTest =
  | {
      name: "mcnemar_exact";
      /** Matched samples passing in A only. */
      b: number;
      /** Matched samples passing in B only. */
      c: number;
      p_value: number;
    }
  | {
      name: "paired_permutation";
      method: "exact" | "monte_carlo";
      /** Tasks whose pass rate differs between the runs. */
      non_zero: number;
      permutations: number;
      seed: number;
      p_value: number;
    };

/** Everything `verdict compare` reports; also its `--json` output. */
export interface CompareResult {
  benchmark: string;
  split: string;
  /** How tasks only one run covers were treated. */
  tasks_policy: "same" | "intersection";
  /** "partial: compared on 10 of 399 tasks" when the figures cover fewer tasks than the benchmark has; else null. */
  coverage: string | null;
  a: CompareSide;
  b: CompareSide;
  matched: {
    tasks: number;
    samples: number;
    /** Matched samples per task: the smallest and largest count. */
    samples_per_task: { min: number; max: number };
  };
  unmatched: {
    tasks_only_in_a: string[];
    tasks_only_in_b: string[];
    /** Samples of shared tasks whose index the other run lacks. */
    samples_only_in_a: number;
    samples_only_in_b: number;
  };
  /** k values both runs asked for (plus 1) that every matched task has samples for. */
  k: number[];
  difference: {
    /** B − A for each k. */
    pass_at_k: Record<string, number>;
    /** Paired-bootstrap interval of B − A in pass@1, resampling tasks. */
    pass_at_1_ci: { low: number; high: number; confidence: number; resamples: number; seed: number };
  };
  test: CompareTest;
  alpha: number;
  /** B's pass@1 is below A's and the test rejects equality at `alpha`. */
  worse: boolean;
  /** B's pass@1 is above A's and the test rejects equality at `alpha`. */
  better: boolean;
  flips: {
    /** Passed in A, failed in B (flips on timing-bound tasks are in `timing_bound`). */
    regressions: Flip[];
    /** Failed in A, passed in B (flips on timing-bound tasks are in `timing_bound`). */
    improvements: Flip[];
    /**
     * Flips either way on timing-bound tasks: a sample of the task finished a test within 25%
     * of its time limit in either run, so a busier machine alone may have flipped it.
     */
    timing_bound: Flip[];
    /** Count of each flip kind, both directions. */
    kinds: Record<string, number>;
  };
  warnings: string[];
}
