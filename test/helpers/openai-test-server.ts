import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A real HTTP server on 127.0.0.1 speaking the OpenAI completions and chat APIs, for tests.
 * Answers are scripted (a function of the request), every request is recorded, and faults
 * (error statuses, slow answers, dropped connections) can be injected.
 */

/** A request the server received. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** The parsed JSON body (undefined for a GET). */
  body: Record<string, unknown> | undefined;
  /** 1-based arrival order. */
  seq: number;
}

/** What to do with one request. */
export type ScriptedReply =
  /** A normal answer: one choice per text, shaped for the endpoint that was called. */
  | { kind: "answer"; texts: string[]; finishReasons?: (string | null)[]; usage?: { prompt_tokens: number; completion_tokens: number }; delayMs?: number }
  /** An error status with an OpenAI-style error body. */
  | { kind: "status"; status: number; message?: string; headers?: Record<string, string>; delayMs?: number }
  /** Any body, verbatim. */
  | { kind: "raw"; status: number; body: string; delayMs?: number }
  /** Headers sent, then the body withheld for delayMs (a server that stalls mid-answer). */
  | { kind: "stall"; delayMs: number }
  /** The TCP connection is destroyed without an answer. */
  | { kind: "reset" };

export type Responder = (request: RecordedRequest) => ScriptedReply | Promise<ScriptedReply>;

export interface OpenAITestServer {
  /** The API root, e.g. http://127.0.0.1:41234/v1. */
  baseUrl: string;
  /** Every request received, in arrival order. */
  requests: RecordedRequest[];
  /** Requests being answered right now, and the most ever seen at once. */
  readonly inFlight: number;
  readonly maxInFlight: number;
  /** Replaces the script for later requests. */
  respond(responder: Responder): void;
  close(): Promise<void>;
}

/** Echoes the last user message (chat) or the prompt's last line (completions), n times. */
export const echoResponder: Responder = (request) => {
  const body = request.body ?? {};
  const n = typeof body.n === "number" ? body.n : 1;
  const source = Array.isArray(body.messages) ? String((body.messages.at(-1) as { content?: unknown } | undefined)?.content ?? "") : String(body.prompt ?? "");
  const last = source.split("\n").filter((l) => l.trim() !== "").at(-1) ?? "";
  return { kind: "answer", texts: Array.from({ length: n }, (_, i) => `echo ${i}: ${last}`) };
};

/** Starts a server on an ephemeral port. */
export async function startOpenAITestServer(responder: Responder = echoResponder): Promise<OpenAITestServer> {
  let script = responder;
  const requests: RecordedRequest[] = [];
  let inFlight = 0;
  let maxInFlight = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    if (req.method === "GET" && path === "/v1/models") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ object: "list", data: [{ id: "test-model", object: "model" }] }));
      return;
    }
    const recorded: RecordedRequest = {
      method: req.method ?? "",
      path,
      headers: req.headers,
      body: text === "" ? undefined : (JSON.parse(text) as Record<string, unknown>),
      seq: requests.length + 1,
    };
    requests.push(recorded);
    if (path !== "/v1/completions" && path !== "/v1/chat/completions") {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ object: "error", message: `no route ${path}` }));
      return;
    }
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      const reply = await script(recorded);
      if (reply.kind === "reset") {
        req.socket.destroy();
        return;
      }
      if (reply.kind === "stall") {
        res.writeHead(200, { "content-type": "application/json" });
        res.flushHeaders();
        await sleep(reply.delayMs);
        res.end(JSON.stringify(answerBody(recorded, { kind: "answer", texts: ["late"] })));
        return;
      }
      if (reply.delayMs) await sleep(reply.delayMs);
      if (res.destroyed) return;
      if (reply.kind === "status") {
        res.writeHead(reply.status, { "content-type": "application/json", ...reply.headers });
        res.end(JSON.stringify({ object: "error", message: reply.message ?? `scripted ${reply.status}`, type: "scripted", code: reply.status }));
      } else if (reply.kind === "raw") {
        res.writeHead(reply.status, { "content-type": "application/json" });
        res.end(reply.body);
      } else {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(answerBody(recorded, reply)));
      }
    } finally {
      inFlight--;
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: String(err) } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    respond(next) {
      script = next;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** The JSON a vLLM server sends for a scripted answer. */
function answerBody(request: RecordedRequest, reply: Extract<ScriptedReply, { kind: "answer" }>): Record<string, unknown> {
  const chat = request.path.endsWith("/chat/completions");
  const model = request.body?.model ?? "test-model";
  const choices = reply.texts.map((text, index) => ({
    index,
    ...(chat ? { message: { role: "assistant", content: text } } : { text }),
    finish_reason: reply.finishReasons?.[index] ?? "stop",
  }));
  const usage = reply.usage ?? {
    prompt_tokens: 10,
    completion_tokens: reply.texts.reduce((sum, t) => sum + t.split(/\s+/).filter(Boolean).length, 0),
  };
  return {
    id: `cmpl-${request.seq}`,
    object: chat ? "chat.completion" : "text_completion",
    created: 1_700_000_000,
    model,
    choices,
    usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
