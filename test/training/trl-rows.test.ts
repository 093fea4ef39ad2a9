import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { dpoRowSchema, sftRowSchema, toJsonl, trlPrmRowSchema, writeWhole } from "../../src/training/trl-rows.js";

describe("TRL rows", () => {
  it("accept TRL's columns only", () => {
    expect(sftRowSchema.safeParse({ prompt: "p", completion: "c" }).success).toBe(true);
    expect(sftRowSchema.safeParse({ prompt: "p", completion: "c", task_id: "1" }).success).toBe(false);
    expect(dpoRowSchema.safeParse({ prompt: "p", chosen: "a", rejected: "b" }).success).toBe(true);
    expect(dpoRowSchema.safeParse({ prompt: "p", chosen: "a" }).success).toBe(false);
    expect(trlPrmRowSchema.safeParse({ prompt: "p", completions: ["s1"], labels: [true] }).success).toBe(true);
  });

  it("are written as JSONL, whole or not at all, with no temporary file left", () => {
    const dir = mkdtempSync(join(tmpdir(), "verdict-trl-"));
    try {
      const path = join(dir, "out", "sft.jsonl");
      writeWhole(path, toJsonl([{ prompt: "p", completion: "c" }, { prompt: "q", completion: "d" }]));
      expect(readFileSync(path, "utf8")).toBe('{"prompt":"p","completion":"c"}\n{"prompt":"q","completion":"d"}\n');
      expect(readdirSync(join(dir, "out"))).toEqual(["sft.jsonl"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
