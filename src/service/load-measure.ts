/**
 * The service under load, measured with a real load generator (autocannon) on loopback: many
 * clients post MBPP reference programs to /v1/judge; every answer is checked (a pass for the
 * right task), none may be lost. Beside it, in the same run, the same work through the session
 * directly (the throughput the HTTP layer must keep) and, one request at a time, the latency the
 * HTTP layer adds. Each program carries a unique comment, so no answer comes from a cache.
 */
import autocannon from "autocannon";
import type { JudgingSession } from "../core/session.js";
import type { Task } from "../core/task.js";
import { createJudgeServer } from "./judge-server.js";

/** How the load is made. */
export interface LoadOptions {
  /** Requests in the load (the bench: 10,000). */
  requests: number;
  /** Clients at once (the bench: 64). */
  connections: number;
  /** Requests one at a time for the overhead measure (0: not measured). */
  sequential: number;
  /** Measure the session alone at the same concurrency (false: the test only checks answers). */
  baseline: boolean;
  /** Tasks whose reference takes longer than this (seconds, on the reference run) are left out, so the load stays bounded. */
  maxTaskSeconds: number;
  log?: (line: string) => void;
}

/** What a measured load reports. */
export interface LoadReport {
  /** Requests sent. */
  asked: number;
  /** Answers received. */
  requests: number;
  connections: number;
  tasks: number;
  /** Answers that were 200 and a pass for the task asked about. */
  correct: number;
  /** Answers that were 200 but not that. */
  wrong: number;
  non2xx: number;
  /** Requests sent that got no answer at all. */
  lost: number;
  errors: number;
  timeouts: number;
  seconds: number;
  requests_per_second: number;
  latency_ms: { p50: number; p99: number; max: number };
  /** The same judgements through the session directly, `connections` at a time. */
  session_judgements_per_second?: number;
  /** One request at a time: p50 over HTTP minus p50 of the session alone. */
  overhead_ms_p50?: number;
  sequential_http_ms_p50?: number;
  sequential_session_ms_p50?: number;
}

/** The program of a request: the task's reference, made unique by a comment. */
function salted(task: Task, tag: string): string {
  return `# load ${tag}\n${task.reference}`;
}

/** The tasks the load cycles through: quick references that pass (checked once through the session). */
async function loadTasks(session: JudgingSession, maxSeconds: number): Promise<Task[]> {
  const quick = session.benchmark.tasks.filter((t) => t.tests.length > 0 && (t.costSeconds ?? 0) <= maxSeconds);
  const judged = await Promise.all(quick.map((t) => session.judge(t, salted(t, "check"))));
  return quick.filter((_, i) => judged[i]?.status === "pass");
}

/** Median of a list of numbers. */
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length === 0 ? 0 : s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
}

/** `count` posts of reference programs through autocannon, each answer checked; `tag` keeps programs unique across loads. */
async function cannon(url: string, tasks: readonly Task[], count: number, connections: number, tag: string) {
  let next = 0;
  let correct = 0;
  let wrong = 0;
  const result = await autocannon({
    url,
    connections,
    amount: count,
    timeout: 120,
    requests: [
      {
        method: "POST",
        path: "/v1/judge",
        headers: { "content-type": "application/json" },
        setupRequest: (req, context) => {
          const i = next++;
          const task = tasks[i % tasks.length] as Task;
          (context as { taskId?: string }).taskId = task.taskId;
          return { ...req, body: JSON.stringify({ task: task.taskId, program: salted(task, `${tag}-${i}`) }) };
        },
        onResponse: (status, body, context) => {
          const want = (context as { taskId?: string }).taskId;
          let ok: boolean;
          try {
            const j = JSON.parse(body) as { status?: string; task_id?: string };
            ok = status === 200 && j.status === "pass" && j.task_id === want;
          } catch {
            ok = false;
          }
          if (ok) correct++;
          else if (status === 200) wrong++;
        },
      },
    ],
  });
  return { result, correct, wrong };
}

/** Judges `count` programs through the session directly, `concurrency` at a time; returns each one's milliseconds and the total. */
async function direct(session: JudgingSession, tasks: readonly Task[], count: number, concurrency: number, tag: string): Promise<{ ms: number[]; seconds: number }> {
  let next = 0;
  const ms: number[] = [];
  const t0 = performance.now();
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      const task = tasks[i % tasks.length] as Task;
      const s = performance.now();
      const j = await session.judge(task, salted(task, `${tag}-${i}`));
      if (j.status !== "pass") throw new Error(`the session judged the reference of ${task.taskId} ${j.status}`);
      ms.push(performance.now() - s);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { ms, seconds: (performance.now() - t0) / 1000 };
}

/** Runs the load (see the module comment) against a service started here on a free loopback port. */
export async function measureServiceLoad(session: JudgingSession, opts: LoadOptions): Promise<LoadReport> {
  const log = opts.log ?? (() => {});
  const tasks = await loadTasks(session, opts.maxTaskSeconds);
  if (tasks.length === 0) throw new Error("no task of the benchmark has a quick reference that passes: nothing to load the service with");
  // Room for every client's request at once: the load measures throughput, not refusals.
  const server = createJudgeServer(session, { port: 0, maxQueued: Math.max(4096, opts.connections * 2) });
  const url = await server.listen();
  const run = `${process.pid}-${Date.now()}`;
  try {
    log(`service load: ${opts.requests} requests, ${opts.connections} clients, ${tasks.length} MBPP reference programs`);
    const { result, correct, wrong } = await cannon(url, tasks, opts.requests, opts.connections, `${run}-load`);
    const report: LoadReport = {
      asked: opts.requests,
      requests: result.requests.total,
      connections: opts.connections,
      tasks: tasks.length,
      correct,
      wrong,
      non2xx: result.non2xx,
      lost: opts.requests - correct - wrong - result.non2xx,
      errors: result.errors,
      timeouts: result.timeouts,
      seconds: result.duration,
      requests_per_second: result.requests.total / result.duration,
      latency_ms: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
    };
    if (opts.baseline) {
      log(`service load: the same ${opts.requests} judgements through the session alone`);
      const d = await direct(session, tasks, opts.requests, opts.connections, `${run}-direct`);
      report.session_judgements_per_second = opts.requests / d.seconds;
    }
    if (opts.sequential > 0) {
      log(`service load: ${opts.sequential} requests one at a time, over HTTP and through the session alone`);
      const http = await cannon(url, tasks, opts.sequential, 1, `${run}-seq`);
      const alone = await direct(session, tasks, opts.sequential, 1, `${run}-seq-direct`);
      report.sequential_http_ms_p50 = http.result.latency.p50;
      report.sequential_session_ms_p50 = median(alone.ms);
      report.overhead_ms_p50 = report.sequential_http_ms_p50 - report.sequential_session_ms_p50;
    }
    return report;
  } finally {
    await server.close();
  }
}
