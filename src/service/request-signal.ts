import { setMaxListeners } from "node:events";
import type { FastifyReply } from "fastify";
import { RequestError } from "./request-errors.js";

/** Why a request's work was cancelled. */
export type CancelReason = "client_gone" | "timeout" | "shutdown";

/** The reason object a request's signal aborts with. */
export class RequestCancelled extends Error {
  override name = "RequestCancelled";
  constructor(readonly reason: CancelReason, message: string) {
    super(message);
  }
}

/** A request's cancellation: its signal, and a dispose to call when the answer is sent. */
export interface RequestSignal {
  signal: AbortSignal;
  /** Aborts the rest of the request's work (one item failed: the others are not worth finishing). */
  abort(): void;
  dispose(): void;
}

/**
 * The signal a request's pool work runs under. It aborts when the client goes away before its
 * answer (its queued items leave the queue at once; the session detaches it from a job already
 * running, which ends within its limits), when the request's deadline passes, or when shutdown's
 * grace runs out.
 */
export function requestSignal(reply: FastifyReply, timeoutMs: number, shutdown: AbortSignal): RequestSignal {
  const controller = new AbortController();
  // Every item of the request listens on it (up to maxItems): that many listeners is no leak.
  setMaxListeners(0, controller.signal);
  const abort = (reason: CancelReason, message: string): void => {
    if (!controller.signal.aborted) controller.abort(new RequestCancelled(reason, message));
  };
  const onClose = (): void => {
    if (!reply.raw.writableFinished) abort("client_gone", "the client closed the connection");
  };
  const onShutdown = (): void => abort("shutdown", "the service is shutting down");
  reply.raw.on("close", onClose);
  shutdown.addEventListener("abort", onShutdown, { once: true });
  if (shutdown.aborted) onShutdown();
  const timer = setTimeout(() => abort("timeout", `the request took longer than ${timeoutMs / 1000} s`), timeoutMs);
  return {
    signal: controller.signal,
    abort: () => abort("client_gone", "another part of the request failed"),
    dispose: () => {
      clearTimeout(timer);
      reply.raw.off("close", onClose);
      shutdown.removeEventListener("abort", onShutdown);
    },
  };
}

/** A cancellation as the HTTP answer it gets (504 timeout, 503 shutdown); other errors pass through. */
export function cancellationAnswer(err: unknown): unknown {
  if (!(err instanceof RequestCancelled)) return err;
  if (err.reason === "timeout") return new RequestError(504, `${err.message}; its work was cancelled`);
  if (err.reason === "shutdown") return new RequestError(503, `${err.message}; the request was not finished`, { "Retry-After": "5" });
  return new RequestError(503, err.message);
}

/**
 * Runs `work` under a request's signal: the request's other work is aborted when one part
 * fails, the timers are released when it ends, and a cancellation becomes its HTTP answer.
 */
export async function underSignal<T>(reply: FastifyReply, timeoutMs: number, shutdown: AbortSignal, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const rs = requestSignal(reply, timeoutMs, shutdown);
  try {
    return await work(rs.signal);
  } catch (e) {
    // A cancellation that came first is the answer; otherwise the failure is, and the rest stops.
    const cause: unknown = rs.signal.aborted ? rs.signal.reason : e;
    rs.abort();
    throw cancellationAnswer(cause);
  } finally {
    rs.dispose();
  }
}
