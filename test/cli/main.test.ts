import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCli, runVerdict } from "../helpers/eval-run.js";

/*
 * The built CLI's exits: a usage error (an unknown command or option, a bad or missing flag
 * value) exits 2 like any other bad input, with a message naming it; help asked for exits 0.
 * None of these needs a Docker engine.
 */

let root: string;
beforeAll(() => {
  buildCli();
  root = mkdtempSync(join(tmpdir(), "verdict-cli-main-"));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("verdict: usage errors exit 2, help exits 0", () => {
  it.each([
    [["foo", "--help"], /^error: unknown command 'foo' \(the commands: eval, .*; see verdict --help\)\n$/],
    [["help", "foo"], /^error: unknown command 'foo'/],
    [["test"], /^error: unknown command 'test' \(the test suite runs with \.\/verdict test \(or npm test\)\)\n$/],
    [["eval", "--bogus"], /error: unknown option '--bogus'/],
    [["eval", "--workers", "x"], /--workers: .*got "x"/],
    [["eval", "--benchmark", "mbpp"], /required option '--samples' not specified/],
    [["compare", "only-one"], /missing required argument 'run-b'/],
    [[], /Usage: verdict/],
  ])("verdict %j exits 2", async (args, message) => {
    const r = await runVerdict(args);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe("");
  });

  it.each([[["--help"]], [["eval", "--help"]], [["help", "eval"]], [["--version"]]])("verdict %j exits 0", async (args) => {
    const r = await runVerdict(args);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toBe("");
  });

  it("eval --resume of a directory that holds no run says so (not that --benchmark is missing)", async () => {
    const dir = join(root, "nonexistent");
    const r = await runVerdict(["eval", "--resume", dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`verdict: not a run directory: ${dir} has no manifest.json; nothing to resume\n`);
  });
});
