import { connect } from "node:net";
import { describe, expect, it } from "vitest";
import { InputError } from "../../src/core/errors.js";
import { createJudgeServer } from "../../src/service/judge-server.js";
import { post, REFERENCE, type RunningService, sessionForFile, startService } from "../helpers/judge-service.js";

const fileSession = sessionForFile();

/** A program for task 17 that sleeps `seconds` while loading, then answers right; `salt` keeps it out of the session's cache. */
function napping(seconds: number, salt: string): string {
  return `# ${salt}\nimport time\ntime.sleep(${seconds})\n${REFERENCE["17"]}`;
}

/** Polls /healthz until `check` holds. */
async function waitForHealth(url: string, check: (h: { queued: number; running: number }) => boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const h = (await (await fetch(`${url}/healthz`)).json()) as { queued: number; running: number };
    if (check(h)) return;
    if (Date.now() > deadline) throw new Error(`health never reached the state: ${JSON.stringify(h)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Everything `withService` hands a test. */
async function withService<T>(overrides: Parameters<typeof startService>[1], body: (svc: RunningService) => Promise<T>): Promise<T> {
  const svc = await startService(fileSession().session, overrides);
  try {
    return await body(svc);
  } finally {
    await svc.server.close();
  }
}

describe("auth", () => {
  it("refuses to listen beyond loopback without a token", () => {
    expect(() => createJudgeServer(fileSession().session, { host: "0.0.0.0" })).toThrow(InputError);
    expect(() => createJudgeServer(fileSession().session, { host: "0.0.0.0" })).toThrow(/without a token/);
  });

  it("answers 401 to a missing or wrong token, and serves the right one; /healthz needs none", () =>
    withService({ token: "s3cret-token" }, async ({ url }) => {
      const body = { task: "17", program: REFERENCE["17"] };
      const missing = await post(`${url}/v1/judge`, body);
      expect(missing.status).toBe(401);
      expect(missing.headers.get("www-authenticate")).toMatch(/^Bearer/);
      expect(missing.json.error.message).toMatch(/missing bearer token/);
      for (const h of ["Bearer wrong", "Bearer s3cret-tokenX", "Basic s3cret-token", "Bearer", "s3cret-token"]) {
        const wrong = await post(`${url}/v1/judge`, body, { authorization: h });
        expect(wrong.status, h).toBe(401);
      }
      for (const path of ["/get_reward", "/run_code"]) expect((await post(`${url}${path}`, {})).status).toBe(401);
      expect((await fetch(`${url}/metrics`)).status).toBe(401);
      const ok = await post(`${url}/v1/judge`, body, { authorization: "Bearer s3cret-token" });
      expect(ok.status).toBe(200);
      expect(ok.json.status).toBe("pass");
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
    }));
});

describe("health, metrics, unknown routes", () => {
  it("serves /healthz, Prometheus text on /metrics, and a 404 naming the routes", () =>
    withService({}, async ({ url }) => {
      const health = (await (await fetch(`${url}/healthz`)).json()) as Record<string, unknown>;
      expect(health).toMatchObject({ status: "ok", benchmark: "mbpp", split: "test", workers: 2, queued: 0, running: 0 });
      await post(`${url}/v1/judge`, { task: "12", program: REFERENCE["12"] });
      await post(`${url}/v1/judge`, { task: "12", program: "def sort_matrix(M):\n    return M\n" });
      const res = await fetch(`${url}/metrics`);
      expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
      const text = await res.text();
      expect(text).toMatch(/^verdict_http_requests_total\{route="\/v1\/judge",status="200"\} 2$/m);
      expect(text).toMatch(/^verdict_judgements_total\{outcome="pass",cached="(true|false)"\} 1$/m);
      expect(text).toMatch(/^verdict_judgements_total\{outcome="wrong_answer",cached="false"\} 1$/m);
      expect(text).toMatch(/^verdict_http_request_duration_seconds_bucket\{le="\+Inf",route="\/v1\/judge"\} 2$/m);
      expect(text).toMatch(/^verdict_queue_depth 0$/m);
      expect(text).toMatch(/^verdict_jobs_in_flight 0$/m);
      expect(text).toMatch(/^verdict_jobs_per_second \d/m);
      expect(text).toMatch(/^verdict_pool_workers 2$/m);
      const missing = await post(`${url}/v2/judge`, {});
      expect(missing.status).toBe(404);
      expect(missing.json.error.message).toMatch(/no route POST \/v2\/judge; routes: POST \/v1\/judge/);
    }));
});

describe("limits", () => {
  it("answers 429 with Retry-After when a request would overflow the queue, and still serves the one ahead", () =>
    withService({ concurrency: 1, maxQueued: 3 }, async ({ url }) => {
      const salt = `q${Date.now()}`;
      const first = post(`${url}/v1/judge`, { items: [0, 1, 2].map((i) => ({ task: "17", program: napping(1, `${salt}-${i}`) })) });
      await waitForHealth(url, (h) => h.running === 1 && h.queued === 2);
      const refused = await post(`${url}/v1/judge`, { items: [0, 1].map((i) => ({ task: "17", program: napping(0, `${salt}-x${i}`) })) });
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect(refused.json.error.message).toMatch(/queue is full \(2 of 3 items waiting\)/);
      const done = await first;
      expect(done.status).toBe(200);
      expect(done.json.results.map((j: { status: string }) => j.status)).toEqual(["pass", "pass", "pass"]);
    }), 60_000);

  it("cancels a request past its deadline: 504, and its queued work leaves the queue", () =>
    withService({ concurrency: 1, requestTimeoutMs: 1500 }, async ({ url }) => {
      const salt = `t${Date.now()}`;
      const r = await post(`${url}/v1/judge`, { items: [0, 1, 2].map((i) => ({ task: "17", program: napping(1, `${salt}-${i}`) })) });
      expect(r.status).toBe(504);
      expect(r.json.error.message).toMatch(/longer than 1.5 s; its work was cancelled/);
      await waitForHealth(url, (h) => h.queued === 0);
    }), 30_000);

  it("drops the queued work of a client that hangs up", () =>
    withService({ concurrency: 1 }, async ({ url }) => {
      const salt = `c${Date.now()}`;
      const controller = new AbortController();
      const gone = fetch(`${url}/v1/judge`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ items: [0, 1, 2, 3].map((i) => ({ task: "17", program: napping(1, `${salt}-${i}`) })) }),
        signal: controller.signal,
      }).catch((e: unknown) => e);
      await waitForHealth(url, (h) => h.queued === 3);
      controller.abort();
      await gone;
      await waitForHealth(url, (h) => h.queued === 0);
    }), 30_000);

  it("does not let a client that trickles its body hold the pool, and cuts it off (408)", () =>
    withService({ concurrency: 1, receiveTimeoutMs: 1500 }, async ({ url }) => {
      const { port } = new URL(url);
      const socket = connect(Number(port), "127.0.0.1");
      let answer = "";
      socket.on("data", (d: Buffer) => (answer += d.toString()));
      const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
      socket.write("POST /v1/judge HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"task\": \"17\", ");
      const t0 = Date.now();
      const r = await post(`${url}/v1/judge`, { task: "17", program: REFERENCE["17"] });
      expect(r.json.status).toBe("pass");
      expect(Date.now() - t0).toBeLessThan(1500);
      await closed;
      expect(answer).toMatch(/^HTTP\/1\.1 408/);
    }), 30_000);
});

describe("shutdown", () => {
  it("finishes a request in flight, refuses new connections, then stops", async () => {
    const svc = await startService(fileSession().session, { concurrency: 1 });
    const inFlight = post(`${svc.url}/v1/judge`, { task: "17", program: napping(1, `s${Date.now()}`) });
    await waitForHealth(svc.url, (h) => h.running === 1);
    const closing = svc.server.close();
    const r = await inFlight;
    expect(r.status).toBe(200);
    expect(r.json.status).toBe("pass");
    await closing;
    await expect(fetch(`${svc.url}/healthz`)).rejects.toThrow();
  }, 30_000);

  it("cancels what is still running when the grace runs out: 503, never a verdict", async () => {
    const svc = await startService(fileSession().session, { concurrency: 1, shutdownGraceMs: 300 });
    const inFlight = post(`${svc.url}/v1/judge`, { task: "17", program: napping(3, `g${Date.now()}`) });
    await waitForHealth(svc.url, (h) => h.running === 1);
    await svc.server.close();
    const r = await inFlight;
    expect(r.status).toBe(503);
    expect(r.json.error.message).toMatch(/shutting down/);
  }, 30_000);
});
