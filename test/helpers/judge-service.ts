/**
 * The judging service for HTTP tests: a real server on a free loopback port over a real
 * judging session (MBPP's test split in real containers), and what a test needs to check that
 * nothing was left behind.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, expect } from "vitest";
import { RUN_LABEL } from "../../src/sandbox/container-spec.js";
import { connectDocker } from "../../src/sandbox/engine.js";
import { MANAGED_LABEL } from "../../src/sandbox/image.js";
import type { JudgingSession } from "../../src/core/session.js";
import { createJudgeServer, type JudgeServer } from "../../src/service/judge-server.js";
import type { ServiceOptions } from "../../src/service/service-options.js";
import { loadBenchmark } from "../../src/benchmarks/registry.js";
import { openJudgingSession } from "../../src/session/judging-session.js";
import { testImage } from "./sandbox-image.js";

export const DATA_DIR = process.env.VERDICT_DATA_DIR ?? "/work/shared/data";

/** MBPP reference programs the tests post, by task id (task 11, 12, 17 of the test split). */
export const REFERENCE: Record<string, string> = {
  "11": 'def remove_Occ(s,ch):\n    for i in range(len(s)):\n        if (s[i] == ch):\n            s = s[0 : i] + s[i + 1:]\n            break\n    for i in range(len(s) - 1,-1,-1):\n        if (s[i] == ch):\n            s = s[0 : i] + s[i + 1:]\n            break\n    return s\n',
  "12": "def sort_matrix(M):\n    result = sorted(M, key=sum)\n    return result\n",
  "17": "def square_perimeter(a):\n  perimeter=4*a\n  return perimeter\n",
};

/** An opened test session and its container label. */
export interface TestSession {
  session: JudgingSession;
  label: string;
}

/** Opens a judging session on MBPP's test split with `workers` containers, all carrying a label of the test's own. */
export async function openMbppSession(workers = 2): Promise<TestSession> {
  const label = `svc-test-${randomBytes(4).toString("hex")}`;
  await testImage();
  const spec = await loadBenchmark("mbpp", { split: "test", dataDir: DATA_DIR, challenge: false });
  const session = await openJudgingSession({ benchmark: spec, workers, labels: { [RUN_LABEL]: label }, verdictCache: false });
  return { session, label };
}

/**
 * A session for the whole test file: opened before its tests, closed after them (after any
 * server the file starts later, since after-hooks run in reverse), checking that no container
 * of it is left. Call at the top of a file; the returned function gives the session.
 */
export function sessionForFile(workers = 2): () => TestSession {
  let ts: TestSession | undefined;
  beforeAll(async () => {
    ts = await openMbppSession(workers);
  }, 240_000);
  afterAll(async () => {
    if (ts === undefined) return;
    await ts.session.close();
    expect(await containersLeft(ts.label)).toEqual([]);
  });
  return () => {
    if (ts === undefined) throw new Error("the file's session is not open (its beforeAll failed)");
    return ts;
  };
}

/** A listening server and its base URL. */
export interface RunningService {
  server: JudgeServer;
  url: string;
  lines: string[];
}

/** Starts the service over `session` on a free loopback port, keeping its log lines. */
export async function startService(session: JudgingSession, overrides: Partial<ServiceOptions> = {}): Promise<RunningService> {
  const lines: string[] = [];
  const server = createJudgeServer(session, { port: 0, log: (l) => lines.push(l), ...overrides });
  const url = await server.listen();
  return { server, url, lines };
}

/** A parsed JSON answer, read loosely: tests check its fields one by one. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are checked field by field with expect
export type Answer = any;

/** POSTs JSON (or a raw string) and returns the status, headers and parsed body. */
export async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; json: Answer }> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, headers: res.headers, json };
}

/** Containers still carrying the session's label. */
export async function containersLeft(label: string): Promise<string[]> {
  const list = await connectDocker().listContainers({ all: true, filters: { label: [`${MANAGED_LABEL}=1`, `${RUN_LABEL}=${label}`] } });
  return list.map((c) => `${c.Names.join(",")} (${c.State})`);
}
