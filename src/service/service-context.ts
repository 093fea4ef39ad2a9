import type { JudgingSession } from "../core/session.js";
import type { ServiceMetrics } from "./service-metrics.js";
import type { ServiceOptions } from "./service-options.js";
import type { TcgTestsSource } from "./task-input.js";
import type { WorkQueue } from "./work-queue.js";

/** What every route of the service works with. */
export interface ServiceContext {
  session: JudgingSession;
  options: ServiceOptions;
  queue: WorkQueue;
  metrics: ServiceMetrics;
  tcg: TcgTestsSource;
  /** Aborts when shutdown's grace is over: work still running is cancelled. */
  shutdown: AbortSignal;
  log: (line: string) => void;
}
