import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCli, REPO } from "../helpers/eval-run.js";

let root: string;
let configPath: string;

beforeAll(() => {
  buildCli();
  root = mkdtempSync(join(tmpdir(), "verdict-cli-run-"));
  configPath = join(root, "run.yaml");
  writeFileSync(
    configPath,
    ["benchmark: mbpp", "split: test", "limit: 2", "models:", '  - {name: m, base_url: "http://127.0.0.1:9/v1", model: m}', "styles: [vanilla]", ""].join("\n"),
  );
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe.each(["run", "table1"])("verdict %s --data", (command) => {
  it("reads the benchmark from the directory it names, before VERDICT_DATA_DIR", async () => {
    const named = join(root, `empty-${command}`);
    const run = await execa(process.execPath, [join(REPO, "bin", "verdict.js"), command, configPath, "--data", named, "--out", join(root, `out-${command}`)], {
      cwd: root,
      env: { VERDICT_DATA_DIR: join(root, "elsewhere"), VERDICT_CACHE_DIR: join(root, "cache") },
      reject: false,
    });
    expect(run.exitCode, run.stderr).toBe(2);
    expect(run.stderr).toContain(`mbpp/mbpp.jsonl not found in ${named} (from --data)`);
  });
});
