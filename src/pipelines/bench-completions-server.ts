import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * The benches' stand-in for a model: an OpenAI-compatible completions server on loopback that
 * answers each request with the texts `answer` gives for it, after a settable latency. The
 * generation bench answers each MBPP prompt with its reference solution, the search bench with
 * scripted steps; both measure the harness, never the server.
 */

/** A running scripted server. */
export interface ScriptedCompletionsServer {
  baseUrl: string;
  /** Model time added before every answer from now on. */
  setLatency(ms: number): void;
  close(): Promise<void>;
}

/** The request fields an answer reads. */
export interface CompletionsBody {
  prompt?: string;
  n?: number;
}

/** Starts the server; a throw in `answer` becomes an HTTP 500 with its message. */
export async function startScriptedCompletionsServer(answer: (body: CompletionsBody) => string[]): Promise<ScriptedCompletionsServer> {
  let latency = 0;
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as CompletionsBody;
    if (latency > 0) await new Promise((r) => setTimeout(r, latency));
    const texts = answer(body);
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        object: "text_completion",
        choices: texts.map((text, index) => ({ index, text, finish_reason: "stop" })),
        usage: { prompt_tokens: 100, completion_tokens: 50 * texts.length },
      }),
    );
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: (err as Error).message } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    setLatency: (ms) => {
      latency = ms;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
