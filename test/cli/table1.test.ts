import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BASE_EXPECTED, BASE_SCRIPT, scriptedPolicy } from "../fixtures/models/scripted-policy.js";
import { startOpenAITestServer, type OpenAITestServer } from "../helpers/openai-test-server.js";
import { testImage } from "../helpers/sandbox-image.js";

const repo = join(import.meta.dirname, "..", "..");
const DATA = process.env.VERDICT_DATA_DIR ?? join(repo, "..", "shared", "data");
const HAS_DATA = existsSync(join(DATA, "mbpp", "mbpp.jsonl"));

let root: string;
let server: OpenAITestServer;
let configPath: string;

/** Runs the built CLI; resolves with its exit code and output whatever the code. */
function verdictCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(repo, "bin", "verdict.js"), ...args],
      { cwd: repo, env: { ...process.env, VERDICT_CACHE_DIR: join(root, "cache"), VERDICT_DATA_DIR: DATA }, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err && typeof err.code === "number" ? err.code : err ? -1 : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

beforeAll(async () => {
  // The CLI runs from dist/: compile the current sources first (as `npm run build` does).
  await new Promise<void>((resolve) => {
    execFile(process.execPath, [join(repo, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"], { cwd: repo }, () => resolve());
  });
  expect(existsSync(join(repo, "dist", "cli", "commands", "table1.js"))).toBe(true);
  await testImage();
  root = mkdtempSync(join(tmpdir(), "verdict-cli-table1-"));
  server = await startOpenAITestServer(scriptedPolicy(BASE_SCRIPT));
  configPath = join(root, "table1.yaml");
  writeFileSync(
    configPath,
    [
      "benchmark: mbpp",
      "split: test",
      "limit: 5",
      "out: results",
      "models:",
      `  - {name: qwen2.5-1.5b, base_url: "${server.baseUrl}", model: Qwen/Qwen2.5-1.5B, api: completions,`,
      "     paper: {vanilla: {pass1: 55.8, aspr: 49.9}, pseudocode: {pass1: 46.7, aspr: 54.5}}}",
      "styles: [vanilla, pseudocode]",
      "prompt: {shots: 3, max_steps: 2}",
      "pass1: {temperature: 0, n: 1}",
      "aspr: {definition: A, paths: 2, finals: 2, temperature: 0.8, top_p: 0.95}",
      "sandbox: {workers: 2}",
      "ci: {resamples: 1000}",
      "",
    ].join("\n"),
  );
}, 300_000);

afterAll(async () => {
  await server?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe.skipIf(!HAS_DATA)("verdict table1 (built CLI) against a scripted model server", () => {
  let runDir = "";

  it("--json prints the rows with the exact expected figures", async () => {
    const { code, stdout, stderr } = await verdictCli(["table1", configPath, "--json"]);
    expect(stderr).not.toMatch(/Error/);
    expect(code).toBe(0);
    const json = JSON.parse(stdout) as { rows: Record<string, unknown>[]; run_dir: string; aspr: Record<string, unknown> };
    expect(stdout.trim().split("\n")).toHaveLength(1);
    expect(json.rows).toEqual([
      {
        model: "qwen2.5-1.5b",
        vanilla: expect.objectContaining({ pass1: BASE_EXPECTED.vanilla.pass1, aspr: BASE_EXPECTED.vanilla.asprA }),
        pseudocode: expect.objectContaining({ pass1: BASE_EXPECTED.pseudocode.pass1, aspr: BASE_EXPECTED.pseudocode.asprA }),
        delta: expect.objectContaining({ pass1: expect.closeTo(-0.2, 12), aspr: expect.closeTo(0.1875, 12) }),
        paper: expect.objectContaining({ vanilla: { pass1: expect.closeTo(0.558, 12), aspr: expect.closeTo(0.499, 12) } }),
      },
    ]);
    expect(json.aspr).toMatchObject({ definition: "A", paths: 2, finals: 2, temperature: 0.8, top_p: 0.95 });
    runDir = json.run_dir;
    expect(runDir.startsWith(join(root, "results"))).toBe(true);
    expect(JSON.parse(readFileSync(join(runDir, "table.json"), "utf8"))).toEqual(json);
    expect(readFileSync(join(runDir, "table.md"), "utf8")).toContain("| Pass@1 (%) | ours | 60.0 | 40.0 | -20.0 |");
  }, 300_000);

  it("prints the paper's layout; a resume of a finished run asks the model nothing", async () => {
    const before = server.requests.length;
    const { code, stdout } = await verdictCli(["table1", configPath, "--resume", runDir, "--no-cache"]);
    expect(code).toBe(0);
    expect(server.requests.length).toBe(before);
    expect(stdout).toMatch(/│\s+qwen2\.5-1\.5b\s+│/);
    expect(stdout).toMatch(/│ metric\s+│\s+│ Vanilla\s+│ Pseudocode\s+│ Δ\s+│/);
    expect(stdout).toMatch(/│ Pass@1 \(%\) │ ours\s+│ 60\.0\s+│ 40\.0\s+│ -20\.0\s+│/);
    expect(stdout).toMatch(/│ ASPR-A \(%\) │ ours\s+│ 56\.3\s+│ 75\.0\s+│ \+18\.8\s+│/);
    expect(stdout).toMatch(/│\s+│ paper\s+│ 49\.9\s+│ 54\.5\s+│ \+4\.6\s+│/);
    expect(stdout).toContain("ASPR sampling: P = 2 paths per task, M = 2 final steps per path, temperature 0.8, top_p 0.95");
    expect(stdout).toContain("ASPR (A): over tasks with a correct path");
  }, 300_000);

  it("verdict run prints every model and style with intervals", async () => {
    const { code, stdout } = await verdictCli(["run", configPath, "--resume", runDir]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/│ qwen2\.5-1\.5b │ vanilla\s+│ 60\.0 \[\d+\.\d, \d+\.\d\]\s+│ 5\/5\s+│ 56\.3 \[/);
    expect(stdout).not.toContain("INCOMPLETE");
    expect(stdout).toContain("ASPR definition A: P = 2, M = 2, temperature 0.8, top_p 0.95");
  }, 300_000);

  it("names the config field that is wrong, with its line", async () => {
    const bad = join(root, "bad.yaml");
    writeFileSync(bad, "models:\n  - {name: a, model: m}\naspr: {definition: D}\n");
    const { code, stderr } = await verdictCli(["table1", bad]);
    expect(code).toBe(2);
    expect(stderr).toContain("models[0].base_url (line 2): give base_url (a server) or replay (a recording)");
    expect(stderr).toContain("aspr.search_run (line 3): ASPR definition D is read from a search run's trees: give aspr.search_run");
  });
});
