import type { Provider } from "../models/provider.js";
import { runSearch, type SearchRunStats } from "../search/driver.js";
import { abortablePolicy, createProviderPolicy, type StepPolicy } from "../search/policy.js";
import { searchAspr } from "../search/search-aspr.js";
import type { SearchInputs } from "../search/search-inputs.js";
import { sessionRewardJudge } from "../search/session-judge.js";
import type { TreeSummary } from "../search/tree-summary.js";
import type { LocalJudgingSession } from "../session/session-options.js";
import type { ModelConfig } from "./run-config.js";
import { runSearchBaseline } from "./search-baseline.js";
import { modelDir } from "./search-manifest.js";
import type { SearchConfig } from "./search-run-config.js";
import type { SearchTests } from "./search-tests.js";

/** One model's search, its ASPR C and D, and (when asked) its best-of-N comparison. */
export interface SearchModelResult {
  name: string;
  model: string;
  provider: string;
  dir: string;
  stats: SearchRunStats;
  /** CPU seconds the programs judged in this run used in the sandbox (not those replayed from the log on a resume, nor cached). */
  sandbox_cpu_seconds: number;
  /** Tasks stopped by a request or judgement that failed for good: `--resume` retries them. */
  incomplete: { task_id: string; error: string }[];
  /** ASPR C and D of the finished trees (src/metrics/aspr.ts). */
  aspr: { C: number | null; D: number | null; tasks: number; tasks_with_correct_path: number };
  baseline: BaselineSummary | null;
}

/** MCTS against best-of-N at the same budget, as the summary prints it. */
export interface BaselineSummary {
  unit: "calls" | "tokens";
  tasks: number;
  mcts: { solved: number; rate: number; ci: [number, number] };
  best_of_n: { solved: number; rate: number; ci: [number, number] };
  /** MCTS − best-of-N in solved rate, with a paired bootstrap interval. */
  difference: { estimate: number; low: number; high: number; resamples: number };
  mcnemar_p: number;
  /** Tasks left out: one side stopped on a failure. */
  incomplete: string[];
  /** Tasks whose baseline was already in best-of-n.jsonl. */
  reused: number;
}

/** What one model's search needs. */
export interface SearchModelOptions {
  model: ModelConfig;
  provider: Provider;
  runDir: string;
  cfg: SearchConfig;
  session: LocalJudgingSession;
  tests: SearchTests;
  identity: Record<string, unknown>;
  baseline: boolean;
  log: (line: string) => void;
  signal?: AbortSignal;
  progressEveryMs?: number;
}

/** Searches every task with one model (then its baseline, when asked). */
export async function searchModel(o: SearchModelOptions): Promise<SearchModelResult> {
  const { model: m, cfg } = o;
  const dir = modelDir(o.runDir, m.name);
  const base = createProviderPolicy(o.provider, m.api);
  const policy: StepPolicy = o.signal !== undefined ? abortablePolicy(base, o.signal) : base;
  // CPU seconds the search's programs used in the sandbox (judged now; not replayed or cached).
  let cpuSeconds = 0;
  const inputs: SearchInputs = {
    tasks: o.tests.tasks,
    settings: cfg.search,
    api: m.api,
    prompt: { tests: cfg.prompt.tests },
    policy,
    judge: sessionRewardJudge(
      o.session,
      (t) => o.tests.testsFor(t),
      (j) => (cpuSeconds += j.cached ? 0 : (j.cpu_s ?? 0)),
    ),
    ...(o.signal !== undefined ? { signal: o.signal } : {}),
  };
  const live = { tasks: 0, expansions: 0, rewards: 0 };
  const progress =
    o.progressEveryMs !== undefined
      ? setInterval(() => o.log(`progress: ${m.name}: ${live.tasks}/${inputs.tasks.length} tasks searched, ${live.expansions} expansions, ${live.rewards} rewards`), o.progressEveryMs)
      : undefined;
  progress?.unref();
  let trees: TreeSummary[];
  let stats: SearchRunStats;
  try {
    ({ trees, stats } = await runSearch({
      ...inputs,
      dir,
      identity: o.identity,
      judgeWorkers: o.session.sandbox.workers,
      onTask: () => live.tasks++,
      onEvent: (e) => {
        if (e.kind === "expand") live.expansions++;
        if (e.kind === "reward") live.rewards++;
        if (e.kind === "expand") live.rewards += e.judged?.length ?? 0;
      },
    }));
  } finally {
    clearInterval(progress);
  }
  const incomplete = trees.flatMap((t) => (t.failure !== null ? [{ task_id: t.task_id, error: t.failure.error }] : []));
  for (const f of incomplete) o.log(`warning: ${m.name}: task ${f.task_id} stopped: ${f.error} (resume the run to retry)`);
  const finished = trees.filter((t) => t.finished);
  const c = searchAspr(finished, "C");
  const result: SearchModelResult = {
    name: m.name,
    model: m.model,
    provider: o.provider.id(),
    dir,
    stats,
    sandbox_cpu_seconds: cpuSeconds,
    incomplete,
    aspr: { C: c.value, D: searchAspr(finished, "D").value, tasks: c.tasks, tasks_with_correct_path: c.tasksCounted },
    baseline: null,
  };
  if (o.baseline) {
    o.log(`baseline: ${m.name}: best-of-N at each task's search budget (${cfg.baseline.unit})`);
    const b = await runSearchBaseline(dir, inputs, trees, cfg.baseline.unit, { resamples: cfg.ci.resamples, seed: cfg.ci.seed });
    const cmp = b.comparison.comparison;
    result.baseline = {
      unit: b.comparison.unit,
      tasks: b.comparison.tasks,
      mcts: { solved: cmp.b.passed, rate: cmp.b.rate, ci: [cmp.b.ci.low, cmp.b.ci.high] },
      best_of_n: { solved: cmp.a.passed, rate: cmp.a.rate, ci: [cmp.a.ci.low, cmp.a.ci.high] },
      difference: { estimate: cmp.difference.estimate, low: cmp.difference.low, high: cmp.difference.high, resamples: cmp.difference.resamples },
      mcnemar_p: cmp.mcnemar.pValue,
      incomplete: [...b.comparison.incomplete, ...b.results.filter((r) => r.failure !== null).map((r) => r.taskId).filter((id) => !b.comparison.incomplete.includes(id))],
      reused: b.reused,
    };
  }
  return result;
}
