import type { Figure } from "../pipelines/bench-jobs.js";
import { fmt } from "./bench-figure.js";
import type { SearchBenchReport, SearchBenchRun } from "../pipelines/bench-search.js";


const pct = (f: Figure): string => `${fmt(f, 0, 100)} %`;

/** The rows of `verdict bench`'s search section: [measure, median (min, max), target, met]. */
export function searchBenchRows(s: SearchBenchReport): string[][] {
  const what = `${s.tasks} MBPP train tasks x ${s.rollouts} rollouts, ${s.workers} workers, ${s.concurrency} requests in flight`;
  const run = (r: SearchBenchRun, label: string): string[][] => [
    [`search, ${label}: ${what}; ${r.nodes} nodes, ${r.expansions} expansions, ${r.rewards} rewards (${r.judged} programs judged), ${r.solved} solved; wall (s)`, fmt(r.seconds, 2), "", ""],
    [`search, ${label}: nodes/s`, fmt(r.nodes_per_second, 0), "", ""],
    [`search, ${label}: rewards/s`, fmt(r.rewards_per_second, 1), "", ""],
  ];
  const { pool_busy: busy, host_ms_per_node: host } = s.targets;
  return [
    ...run(s.instant, "server answering at once"),
    ["search, server answering at once: pool busy (share of wall time)", pct(s.instant.pool_busy), `>= ${busy.limit * 100} %`, busy.met ? "yes" : "NO"],
    [
      `search host overhead: the same search in process, instant policy, a judge that runs nothing (${s.host.nodes} nodes), ms/node`,
      fmt(s.host.ms_per_node, 3),
      `< ${host.limit} ms`,
      host.met ? "yes" : "NO",
    ],
    ...run(s.latency, `model latency ${s.latency.model_latency_ms} ms`),
    [`search, model latency ${s.latency.model_latency_ms} ms: pool busy`, pct(s.latency.pool_busy), "", ""],
    [`search, model latency ${s.latency.model_latency_ms} ms: pool waited on the model (idle workers while requests ran)`, pct(s.latency.pool_waited_on_model), "", ""],
    [`search, model latency ${s.latency.model_latency_ms} ms: model waited on the pool (no request while programs ran)`, pct(s.latency.model_waited_on_pool), "", ""],
  ];
}
