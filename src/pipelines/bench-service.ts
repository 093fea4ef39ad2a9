import { loadBenchmark } from "../benchmarks/registry.js";
import { measureServiceLoad, type LoadReport } from "../service/load-measure.js";
import { openJudgingSession } from "../session/judging-session.js";
import type { JudgingSessionOptions } from "../session/session-options.js";

/** What the service's bench measure needs. */
export interface ServiceBenchOptions {
  workers: number;
  requests: number;
  clients: number;
  dataDir?: string;
  log: (line: string) => void;
  /** The session's other settings (the bench's docker engine). */
  session?: Partial<JudgingSessionOptions>;
}

/** The service under load, with its targets against the CLI's trivial jobs/s measured in the same run. */
export interface ServiceBenchReport extends LoadReport {
  targets: {
    /** Requests/s over the warm pool's trivial jobs/s: at least 80%. */
    over_trivial_jobs: { ratio: number; trivial_jobs_per_second: number; limit: number; met: boolean };
    /** The HTTP layer's cost per request at p50, one request at a time: under 2 ms. */
    overhead_ms_p50: { value: number; limit: number; met: boolean };
  };
}

/** Judgements one at a time for the overhead measure. */
const SEQUENTIAL = 300;
/** References slower than this (seconds, on the reference run) are left out, so the load stays bounded. */
const MAX_TASK_SECONDS = 0.05;

/**
 * `requests` /v1/judge requests of MBPP reference programs from `clients` clients (autocannon,
 * loopback) against `verdict serve judge`'s server over a session of its own (no memo, no
 * verdict cache), beside the same judgements through the session alone.
 */
export async function runServiceBench(opts: ServiceBenchOptions, trivialJobsPerSecond: number): Promise<ServiceBenchReport> {
  const spec = await loadBenchmark("mbpp", { split: "test", ...(opts.dataDir !== undefined ? { dataDir: opts.dataDir } : {}), challenge: false });
  const session = await openJudgingSession({ benchmark: spec, workers: opts.workers, hashSeed: 0, memo: false, verdictCache: false, log: opts.log, ...opts.session });
  try {
    const load = await measureServiceLoad(session, {
      requests: opts.requests,
      connections: opts.clients,
      sequential: SEQUENTIAL,
      baseline: true,
      maxTaskSeconds: MAX_TASK_SECONDS,
      log: opts.log,
    });
    const ratio = load.requests_per_second / trivialJobsPerSecond;
    const overhead = load.overhead_ms_p50 ?? Number.NaN;
    return {
      ...load,
      targets: {
        over_trivial_jobs: { ratio, trivial_jobs_per_second: trivialJobsPerSecond, limit: 0.8, met: ratio >= 0.8 },
        overhead_ms_p50: { value: overhead, limit: 2, met: overhead < 2 },
      },
    };
  } finally {
    await session.close();
  }
}
