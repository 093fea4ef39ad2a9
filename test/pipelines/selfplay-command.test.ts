import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fillTemplate, logTail, runLoggedCommand, templateEnv } from "../../src/pipelines/selfplay-command.js";

const dir = mkdtempSync(join(tmpdir(), "verdict-selfplay-command-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("command templates", () => {
  it("replaces the known placeholders by shell-quoted values, leaves the others, and names the same values as environment variables", () => {
    const values = { round: "2", data_dir: "/runs/a b/round-2/export", checkpoint_out: "/ck/it's" };
    expect(fillTemplate("train {round} --data {data_dir}/dpo.jsonl --out {checkpoint_out} {unknown}", values)).toBe(
      "train 2 --data '/runs/a b/round-2/export'/dpo.jsonl --out '/ck/it'\\''s' {unknown}",
    );
    expect(templateEnv(values)).toEqual({ ROUND: "2", DATA_DIR: "/runs/a b/round-2/export", CHECKPOINT_OUT: "/ck/it's" });
  });

  it("runs a filled template through the shell with its output in the log, and an exit code or a timeout as data", async () => {
    const log = join(dir, "a.log");
    const values = { data_dir: "/d i r" };
    const ok = await runLoggedCommand(fillTemplate('echo data in {data_dir}; echo "$DATA_DIR" >&2; exit 7', values), { log, env: templateEnv(values) });
    expect(ok).toMatchObject({ exit_code: 7, signal: null, timed_out: false, log });
    expect(readFileSync(log, "utf8")).toBe("data in /d i r\n/d i r\n");
    const slow = await runLoggedCommand("echo started; sleep 30", { log, env: {}, timeoutS: 0.5 });
    expect(slow).toMatchObject({ exit_code: null, signal: "SIGTERM", timed_out: true });
    expect(slow.seconds).toBeLessThan(10);
    expect(logTail(log, 2)).toBe("/d i r\nstarted");
    expect(logTail(join(dir, "missing.log"))).toBe("");
  });
});
