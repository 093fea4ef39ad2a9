/**
 * Where a session's sandboxes run (src/session/sandbox-placement.ts): which source wins
 * (--engines, VERDICT_ENGINES, a config's sandbox.engines), --workers filling the entries that
 * name none, and, through the built CLI, that every command that judges hands its placement to
 * its judging session: each is pointed at an engine that does not exist and must say so, naming
 * where the engine came from, before it judges anything.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { resolvePlacement } from "../../src/session/sandbox-placement.js";
import { buildCli, runVerdict } from "../helpers/eval-run.js";

const REPO = new URL("../..", import.meta.url).pathname;

describe("resolvePlacement", () => {
  const env = { VERDICT_ENGINES: "unix:///run/b.sock?workers=2" };
  const config = { engines: ["unix:///run/c.sock", { url: "unix:///run/d.sock", workers: 5 }], runtime: "runsc" };

  it("takes --engines, else VERDICT_ENGINES, else the config's; --runtime over the config's", () => {
    const flag = resolvePlacement({ engines: "unix:///run/a.sock,unix:///run/a2.sock", runtime: "runc", config, env });
    expect(flag.engines?.map((e) => e.source)).toEqual(["--engines entry 1 (unix:///run/a.sock)", "--engines entry 2 (unix:///run/a2.sock)"]);
    expect(flag.runtime).toBe("runc");
    const fromEnv = resolvePlacement({ config, env });
    expect(fromEnv.engines?.map((e) => [e.source, e.workers])).toEqual([["VERDICT_ENGINES entry 1 (unix:///run/b.sock?workers=2)", 2]]);
    expect(fromEnv.runtime).toBe("runsc");
    const fromConfig = resolvePlacement({ config, configFile: "/cfg/run.yaml", env: {}, workers: 3 });
    expect(fromConfig.engines?.map((e) => [e.source, e.workers])).toEqual([
      ["/cfg/run.yaml: sandbox.engines entry 1 (unix:///run/c.sock)", 3],
      ["/cfg/run.yaml: sandbox.engines entry 2 (unix:///run/d.sock)", 5],
    ]);
  });

  it("gives no engine list when none was asked for (the session keeps its one engine)", () => {
    expect(resolvePlacement({ env: { DOCKER_HOST: "tcp://10.0.0.1:2375" } })).toEqual({});
    expect(resolvePlacement({ engines: "  ", env: {} })).toEqual({});
  });

  it("names the source of a bad entry", () => {
    expect(() => resolvePlacement({ engines: "unix:///run/a.sock,tcp://127.0.0.1", env: {} })).toThrow("--engines entry 2 (tcp://127.0.0.1): expected a port");
    expect(() => resolvePlacement({ env: { VERDICT_ENGINES: "http://x:1" } })).toThrow(/^VERDICT_ENGINES entry 1 \(http:\/\/x:1\): /);
  });
});

describe("every command that judges hands its placement to its judging session (built CLI)", () => {
  let dir: string;
  let nowhere: string;
  beforeAll(() => {
    buildCli();
    dir = mkdtempSync(join(tmpdir(), "verdict-placement-"));
    nowhere = `unix://${dir}/no-engine.sock`;
  });

  /** The shipped selfplay config with its policy served as is (static): round 0's evaluation opens the first session. */
  const staticSelfplayConfig = (): string => {
    const text = readFileSync(join(REPO, "benchmarks", "selfplay.yaml"), "utf8").replace(/\nserve:\n(?: .*\n|\s*\n)*/, "\nserve:\n  mode: static\n\n").replace("out: ../results", `out: ${dir}`);
    const file = join(dir, "selfplay.yaml");
    writeFileSync(file, text);
    return file;
  };

  it("eval, run, table1, search, tcg, soak, serve judge and selfplay refuse an engine that is not there, naming it", async () => {
    const commands: [string, string[], Record<string, string>][] = [
      ["eval --engines", ["eval", "--benchmark", "mbpp", "--samples", "reference", "--out", join(dir, "e"), "--engines", nowhere], {}],
      ["eval, VERDICT_ENGINES", ["eval", "--benchmark", "mbpp", "--samples", "reference", "--out", join(dir, "v")], { VERDICT_ENGINES: nowhere }],
      ["table1", ["table1", join(REPO, "benchmarks", "table1.yaml"), "--out", join(dir, "t1"), "--engines", nowhere], {}],
      ["search", ["search", join(REPO, "benchmarks", "search.yaml"), "--limit", "1", "--out", join(dir, "s"), "--engines", nowhere], {}],
      ["tcg", ["tcg", join(REPO, "benchmarks", "tcg.yaml"), "--limit", "1", "--out", join(dir, "t"), "--engines", nowhere], {}],
      ["soak", ["soak", "--jobs", "2", "--engines", nowhere], {}],
      ["serve judge", ["serve", "judge", "--port", "0", "--engines", nowhere], {}],
      ["selfplay", ["selfplay", staticSelfplayConfig(), "--out", join(dir, "sp"), "--engines", nowhere], {}],
    ];
    const results = await Promise.all(commands.map(([, args, env]) => runVerdict(args, env)));
    results.forEach((r, i) => {
      const [what] = commands[i]!;
      const source = what.includes("VERDICT_ENGINES") ? "VERDICT_ENGINES" : "--engines";
      expect([r.code, r.stderr], what).toEqual([2, expect.stringContaining(`${source} entry 1 (${nowhere}): cannot reach the Docker engine: connect ENOENT`)]);
    });
  }, 120_000);

  it("run takes a config's sandbox.engines, and --engines over it", async () => {
    // The shipped Table 1 config (it has no relative path that matters here) with engines in its sandbox section.
    const text = readFileSync(join(REPO, "benchmarks", "table1.yaml"), "utf8");
    const line = "sandbox: {timeout_s: 4, memory_mb: 4096}";
    expect(text).toContain(line);
    const path = join(dir, "table1-engines.yaml");
    writeFileSync(path, text.replace(line, `sandbox: {timeout_s: 4, memory_mb: 4096, engines: ["${nowhere}?workers=1"]}`));
    const fromConfig = await runVerdict(["run", path, "--out", join(dir, "r1")]);
    expect(fromConfig.code, fromConfig.stderr).toBe(2);
    expect(fromConfig.stderr).toContain(`${path}: sandbox.engines entry 1 (${nowhere}?workers=1): cannot reach the Docker engine`);
    const flag = await runVerdict(["run", path, "--out", join(dir, "r2"), "--engines", `${nowhere}2`]);
    expect(flag.code, flag.stderr).toBe(2);
    expect(flag.stderr).toContain(`--engines entry 1 (${nowhere}2): cannot reach the Docker engine`);
  }, 120_000);

  it("--runtime reaches the session: a runtime the engine lacks is refused, naming the ones it has", async () => {
    const r = await runVerdict(["eval", "--benchmark", "mbpp", "--samples", "reference", "--out", join(dir, "rt"), "--runtime", "no-such-runtime"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/the sandbox runtime no-such-runtime is not registered with the Docker engine .* \(it has: .*runc.*\)/);
  }, 60_000);
});
