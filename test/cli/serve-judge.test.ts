import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCli, spawnVerdict, waitUntil, type VerdictChild } from "../helpers/eval-run.js";
import { containersLeft, DATA_DIR, post, REFERENCE } from "../helpers/judge-service.js";
import { testImage } from "../helpers/sandbox-image.js";

let child: VerdictChild | undefined;

beforeAll(async () => {
  buildCli();
  await testImage();
}, 600_000);

afterAll(() => {
  if (child !== undefined && child.child.exitCode === null) child.child.kill("SIGKILL");
});

describe("verdict serve judge", () => {
  it("serves real HTTP, and on SIGTERM mid-load answers or cleanly fails every request in flight, then removes its containers", async () => {
    child = spawnVerdict(["serve", "judge", "--benchmark", "mbpp", "--split", "test", "--data", DATA_DIR, "--workers", "2", "--port", "0", "--grace", "2"]);
    const c = child;
    await waitUntil(() => /^http:\/\/127\.0\.0\.1:\d+\n/.test(c.stdout()) || c.child.exitCode !== null, 300_000, "the service's URL");
    const url = c.stdout().trim();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const label = /containers labelled verdict\.run=(\S+)\)/.exec(c.stderr())?.[1];
    expect(label).toBeDefined();

    const ok = await post(`${url}/v1/judge`, { task: "17", program: REFERENCE["17"] });
    expect(ok.json).toMatchObject({ status: "pass", passed: 3, total: 3 });

    // 30 requests that take 0.4 s each on 2 workers: about 6 s of work against a 2 s grace.
    const salt = `sigterm-${Date.now()}`;
    const load = Array.from({ length: 30 }, (_, i) =>
      post(`${url}/v1/judge`, { task: "17", program: `# ${salt} ${i}\nimport time\ntime.sleep(0.4)\n${REFERENCE["17"]}` }).then(
        (r) => ({ status: r.status, body: r.json as { status?: string; error?: { message: string } } }),
        (e: unknown) => ({ status: 0, body: { error: { message: String(e) } } as { status?: string; error?: { message: string } } }),
      ),
    );
    await new Promise((r) => setTimeout(r, 700));
    c.child.kill("SIGTERM");
    const answers = await Promise.all(load);
    const exit = await c.exited;
    expect(exit).toEqual({ code: 0, signal: null });

    const passed = answers.filter((a) => a.status === 200);
    const cancelled = answers.filter((a) => a.status === 503);
    // Every request got an answer: a verdict, or a clean 503 saying the service stopped.
    expect(answers.filter((a) => a.status !== 200 && a.status !== 503)).toEqual([]);
    for (const a of passed) expect(a.body.status).toBe("pass");
    for (const a of cancelled) expect(a.body.error?.message).toMatch(/shutting down/);
    expect(passed.length).toBeGreaterThan(0);
    expect(cancelled.length).toBeGreaterThan(0);
    expect(c.stderr()).toMatch(/stopping \(SIGTERM\): finishing requests in flight, up to 2 s/);
    expect(c.stderr()).toMatch(/judging session closed, containers removed/);
    expect(await containersLeft(label as string)).toEqual([]);
    expect(c.stderr()).not.toContain("remove_Occ");
  }, 600_000);
});
