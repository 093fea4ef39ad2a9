/**
 * The judging service: an HTTP front for one judging session (docs/ARCHITECTURE.md, "Judging as
 * a service"). It never opens a pool: the session is handed in, and closing the server leaves
 * the session open for its owner to close.
 */
import { setMaxListeners } from "node:events";
import Fastify, { type FastifyError, type FastifyInstance } from "fastify";
import { InputError } from "../core/errors.js";
import type { JudgingSession } from "../core/session.js";
import { bearerMatches } from "./auth.js";
import { registerJudgeRoute } from "./judge-route.js";
import { RequestError } from "./request-errors.js";
import { registerRewardRoute } from "./reward-route.js";
import { registerRunCodeRoute } from "./run-code-route.js";
import type { ServiceContext } from "./service-context.js";
import { createServiceMetrics } from "./service-metrics.js";
import { DEFAULT_SERVICE_OPTIONS, isLoopback, type ServiceOptions } from "./service-options.js";
import { createTcgTestsSource } from "./task-input.js";
import { createWorkQueue, QueueFullError, type WorkQueue } from "./work-queue.js";

/** A judging service, not yet listening. */
export interface JudgeServer {
  readonly app: FastifyInstance;
  readonly queue: WorkQueue;
  readonly options: ServiceOptions;
  /** Starts listening; resolves with the base URL (`http://127.0.0.1:8080`). */
  listen(): Promise<string>;
  /**
   * Stops taking requests, lets those in flight finish for up to `shutdownGraceMs`, then
   * cancels what is left (answered 503) and closes every connection. The session stays open.
   */
  close(): Promise<void>;
}

/** Routes that answer without a token: a load balancer's health check carries none. */
const OPEN_ROUTES = new Set(["/healthz"]);

/** The service over `session` (see the module comment). Refuses to be reachable from elsewhere without a token. */
export function createJudgeServer(session: JudgingSession, overrides: Partial<ServiceOptions> = {}): JudgeServer {
  const options: ServiceOptions = { ...DEFAULT_SERVICE_OPTIONS, ...overrides };
  assertSafeBinding(options.host, options.token);
  const log = options.log ?? (() => {});
  const queue = createWorkQueue(options.concurrency ?? session.sandbox.workers * 2, options.maxQueued);
  const metrics = createServiceMetrics(queue, session.sandbox.workers);
  const shutdown = new AbortController();
  // One listener per request in flight: thousands under load, and none of them a leak.
  setMaxListeners(0, shutdown.signal);
  const ctx: ServiceContext = { session, options, queue, metrics, tcg: createTcgTestsSource(session, options.tcgRunsDir), shutdown: shutdown.signal, log };
  const app = Fastify({
    logger: false,
    bodyLimit: options.maxBodyBytes,
    // Node's own bound on receiving a whole request: a client that trickles its body gets 408,
    // and holds no worker meanwhile (handlers run only once the body is in).
    requestTimeout: options.receiveTimeoutMs,
    // Node enforces the bound only when the headers' own bound is no longer, and checks every
    // 30 s by default: a short bound would be enforced late or not at all.
    http: {
      requestTimeout: options.receiveTimeoutMs,
      headersTimeout: Math.min(60_000, options.receiveTimeoutMs),
      connectionsCheckingInterval: Math.min(30_000, Math.max(100, options.receiveTimeoutMs / 4)),
    },
    return503OnClosing: true,
    forceCloseConnections: "idle",
  });

  app.addHook("onRequest", async (request, reply) => {
    if (options.token === undefined || OPEN_ROUTES.has(request.routeOptions.url ?? "")) return;
    if (!bearerMatches(request.headers.authorization, options.token)) {
      reply.header("WWW-Authenticate", 'Bearer realm="verdict"');
      throw new RequestError(401, request.headers.authorization === undefined ? "missing bearer token (Authorization: Bearer <token>)" : "wrong bearer token");
    }
  });
  let closing: Promise<void> | undefined;
  // While shutting down, every answer ends its connection, so no kept-alive socket holds close() open.
  app.addHook("onSend", async (_request, reply) => {
    if (closing !== undefined) reply.header("Connection", "close");
  });
  app.addHook("onResponse", async (request, reply) => {
    const route = request.routeOptions.url ?? "unmatched";
    metrics.request(route, reply.statusCode, reply.elapsedTime / 1000);
    log(`${request.method} ${route} ${reply.statusCode} ${reply.elapsedTime.toFixed(1)} ms`);
  });
  app.setErrorHandler((err: FastifyError | Error, _request, reply) => {
    const answer = errorAnswer(err);
    if (answer.status >= 500 && !(err instanceof RequestError)) log(`error: ${err.stack ?? err.message}`);
    for (const [k, v] of Object.entries(answer.headers)) reply.header(k, v);
    return reply.status(answer.status).send({ error: { status: answer.status, message: answer.message } });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ error: { status: 404, message: `no route ${request.method} ${request.url.split("?")[0]}; routes: POST /v1/judge, POST /get_reward, POST /run_code, GET /healthz, GET /metrics` } }),
  );

  app.get("/healthz", async () => ({ status: "ok", benchmark: session.benchmark.name, split: session.benchmark.split, workers: session.sandbox.workers, queued: queue.queued, running: queue.running }));
  app.get("/metrics", async (_request, reply) => {
    reply.header("Content-Type", metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  registerJudgeRoute(app, ctx);
  registerRewardRoute(app, ctx);
  registerRunCodeRoute(app, ctx);

  return {
    app,
    queue,
    options,
    async listen() {
      await app.listen({ host: options.host, port: options.port });
      const address = app.server.address();
      const port = typeof address === "object" && address !== null ? address.port : options.port;
      const host = options.host.includes(":") ? `[${options.host}]` : options.host;
      return `http://${host}:${port}`;
    },
    close() {
      closing ??= (async () => {
        const closed = app.close();
        // Past the grace, work still running is cancelled (its requests answered 503); a client
        // that then will not read its answer loses its connection a moment later.
        const cancel = setTimeout(() => shutdown.abort(), options.shutdownGraceMs);
        const force = setTimeout(() => app.server.closeAllConnections(), options.shutdownGraceMs + 2_000);
        try {
          await closed;
        } finally {
          clearTimeout(cancel);
          clearTimeout(force);
        }
      })();
      return closing;
    },
  };
}

/** Throws InputError for a bind beyond loopback without a token: other machines could run code here. */
export function assertSafeBinding(host: string, token: string | undefined): void {
  if (!isLoopback(host) && (token === undefined || token === "")) {
    throw new InputError(`refusing to listen on ${host} without a token: other machines could run code here. Set VERDICT_SERVICE_TOKEN or --token-file, or bind 127.0.0.1`);
  }
}

/** An error as the status, message and headers it is answered with; internals never reach the client. */
function errorAnswer(err: FastifyError | Error): { status: number; message: string; headers: Record<string, string> } {
  if (err instanceof RequestError) return { status: err.status, message: err.message, headers: err.headers };
  if (err instanceof QueueFullError) return { status: 429, message: err.message, headers: { "Retry-After": String(err.retryAfterSeconds) } };
  const status = "statusCode" in err && typeof err.statusCode === "number" ? err.statusCode : 500;
  if (status === 413) return { status, message: `request body too large: ${err.message}`, headers: {} };
  if (status >= 400 && status < 500) return { status, message: err.message, headers: {} };
  return { status: 500, message: "internal error (the service log has the details)", headers: {} };
}
