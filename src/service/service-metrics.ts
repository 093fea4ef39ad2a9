import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Outcome } from "../core/outcome.js";
import type { WorkQueue } from "./work-queue.js";

/** What the service counts, exposed as Prometheus text on GET /metrics. */
export interface ServiceMetrics {
  readonly registry: Registry;
  /** One answered request: its route (the pattern, never the raw URL), status and duration. */
  request(route: string, status: number, seconds: number): void;
  /** One judged program's outcome (cached or not). */
  outcome(outcome: Outcome, cached: boolean): void;
  /** One `/run_code` run, by how it ended. */
  run(status: string): void;
}

/**
 * The service's metrics in a registry of their own (not prom-client's global one, so two
 * servers in one process never mix): requests, latency, outcomes, and gauges read at scrape
 * time from the queue and the pool.
 */
export function createServiceMetrics(queue: WorkQueue, workers: number): ServiceMetrics {
  const registry = new Registry();
  const requests = new Counter({
    name: "verdict_http_requests_total",
    help: "HTTP requests answered, by route and status code",
    labelNames: ["route", "status"] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: "verdict_http_request_duration_seconds",
    help: "Time from a request's arrival to its answer, by route",
    labelNames: ["route"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  const outcomes = new Counter({
    name: "verdict_judgements_total",
    help: "Programs judged, by outcome and whether the verdict was reused",
    labelNames: ["outcome", "cached"] as const,
    registers: [registry],
  });
  const runs = new Counter({
    name: "verdict_runs_total",
    help: "Programs run by /run_code (not judged), by SandboxFusion run status",
    labelNames: ["status"] as const,
    registers: [registry],
  });
  new Gauge({
    name: "verdict_queue_depth",
    help: "Items waiting for the sandbox pool",
    registers: [registry],
    collect() {
      this.set(queue.queued);
    },
  });
  new Gauge({
    name: "verdict_jobs_in_flight",
    help: "Items in the sandbox pool now",
    registers: [registry],
    collect() {
      this.set(queue.running);
    },
  });
  new Gauge({
    name: "verdict_jobs_per_second",
    help: "Items finished per second over the last 10 seconds",
    registers: [registry],
    collect() {
      this.set(queue.jobsPerSecond());
    },
  });
  new Gauge({ name: "verdict_pool_workers", help: "Containers in the sandbox pool", registers: [registry] }).set(workers);
  return {
    registry,
    request(route, status, seconds) {
      requests.inc({ route, status: String(status) });
      latency.observe({ route }, seconds);
    },
    outcome(outcome, cached) {
      outcomes.inc({ outcome, cached: String(cached) });
    },
    run(status) {
      runs.inc({ status });
    },
  };
}
