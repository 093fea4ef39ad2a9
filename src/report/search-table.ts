import Table from "cli-table3";
import type { SearchPipelineResult } from "../pipelines/search-run.js";
import { pct, signedPct } from "./table1.js";

/**
 * What `verdict search` prints: per model, the search's figures (trees, nodes, rewards, model
 * usage, who waited on whom, ASPR C and D) and, with `--baseline best-of-n`, MCTS and best-of-N
 * solved rates side by side with the paired interval of their difference.
 */

/** The banner of a search some of whose tasks stopped on a failure, with the command that completes it. */
export function incompleteSearchBanner(r: SearchPipelineResult, resumeCommand: string): string | null {
  const lines = r.models.filter((m) => m.incomplete.length > 0).map((m) => `${m.name}: ${m.incomplete.map((f) => f.task_id).slice(0, 5).join(", ")}${m.incomplete.length > 5 ? `, … (${m.incomplete.length})` : ""}`);
  if (lines.length === 0) return null;
  return `INCOMPLETE: a model request or a judgement failed for good in some tasks (${lines.join("; ")}); their trees stop there. Every other figure covers the finished trees only; complete them with: ${resumeCommand}`;
}

/** The search's tables and notes for a terminal. */
export function renderSearchResult(r: SearchPipelineResult, resumeCommand: string): string {
  const s = r.settings;
  const t = new Table({
    head: ["model", "trees (finished / failed)", "solved (ASPR-D %)", "ASPR-C %", "nodes", "expansions", "rewards (judged)", "model calls / tokens", "model busy", "pool busy", "s"],
    style: { head: [], border: [] },
  });
  for (const m of r.models) {
    const st = m.stats;
    const share = (x: number): string => (st.seconds > 0 ? `${Math.round((x / st.seconds) * 100)}%` : "-");
    t.push([
      m.name,
      `${st.tasks} (${st.finished} / ${st.failed})`,
      `${st.solved} (${pct(m.aspr.D)})`,
      `${pct(m.aspr.C)} (${m.aspr.tasks_with_correct_path} tasks)`,
      String(st.nodes),
      `${st.expansions} (+${st.replayedExpansions} from the log)`,
      `${st.rewards} (${st.judged})`,
      `${st.calls} / ${st.completionTokens}`,
      share(st.modelBusySeconds),
      share(st.poolBusySeconds),
      st.seconds.toFixed(1),
    ]);
  }
  const parts = [t.toString()];
  const withBaseline = r.models.filter((m) => m.baseline !== null);
  if (withBaseline.length > 0) {
    const b = new Table({
      head: ["model", "budget per task", "tasks", "MCTS solved % [95% CI]", "best-of-N solved % [95% CI]", "MCTS − best-of-N [95% CI]", "McNemar p"],
      style: { head: [], border: [] },
    });
    for (const m of withBaseline) {
      const x = m.baseline;
      if (x === null) continue;
      b.push([
        m.name,
        `the search's ${x.unit}`,
        String(x.tasks),
        `${pct(x.mcts.rate)} [${pct(x.mcts.ci[0])}, ${pct(x.mcts.ci[1])}]`,
        `${pct(x.best_of_n.rate)} [${pct(x.best_of_n.ci[0])}, ${pct(x.best_of_n.ci[1])}]`,
        `${signedPct(x.difference.estimate)} [${signedPct(x.difference.low)}, ${signedPct(x.difference.high)}]`,
        Number.isFinite(x.mcnemar_p) ? x.mcnemar_p.toFixed(3) : "-",
      ]);
    }
    parts.push(b.toString());
  }
  const banner = incompleteSearchBanner(r, resumeCommand);
  const notes = [
    `${r.benchmark.name} ${r.benchmark.split}, ${r.benchmark.tasks} tasks; rewards on ${r.tests.source} tests${s.max_tests !== undefined ? ` (at most ${s.max_tests} per task, seed ${s.tests_seed})` : ""}${r.tests.tasks_without_tests.length > 0 ? `; ${r.tests.tasks_without_tests.length} task(s) without a test left out` : ""}.`,
    `MCTS: ${s.rollouts} rollouts, depth ${s.max_depth}, n = ${s.n}, ${s.selection.toUpperCase()} c = ${s.c}, reward ${s.alpha} · compiles + ${1 - s.alpha} · passed/total, code children: ${s.code_children}, schedule: ${s.schedule}; sampling ${s.temperature} / ${s.top_p} / top_k ${s.top_k} / repetition ${s.repetition_penalty}, seed ${s.seed}.`,
    "ASPR-D: the share of tasks whose search reached a correct terminal; ASPR-C: over those tasks, the mean value Q/N of the step before the code step on correct paths (finished trees only).",
    "Model busy: wall time with a request at the model; pool busy: the sandbox workers' share of wall time with a program.",
    ...(withBaseline.length > 0 ? ["Best-of-N: independent pseudocode paths at each task's search budget; the difference's interval is a paired bootstrap over tasks."] : []),
  ];
  return `${banner ? `${banner}\n` : ""}${parts.join("\n")}\n${notes.join("\n")}\nresults: ${r.runDir}\n`;
}
