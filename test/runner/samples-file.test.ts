import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InputError } from "../../src/core/errors.js";
import { openSamplesFile, readSampleRecords } from "../../src/runner/samples-file.js";
import type { GenerationRecord } from "../../src/runner/run-format.js";

const record = (taskId: string, index: number): GenerationRecord => ({
  task_id: taskId,
  sample_index: index,
  solution: `def f():\n    return ${index}\n`,
  style: "vanilla",
  role: "sample",
  raw: [`def f():\n    return ${index}`],
  code_source: "plain",
  finish_reasons: ["stop"],
  sampling: { temperature: 0, top_p: 1, max_tokens: 64, seed: index, n: 1 },
  usage: { prompt_tokens: 10, completion_tokens: 5, requests: 1, samples_per_request: 1 },
  latency_ms: 3,
  cached: false,
  model: "openai-compatible/completions:m@http://127.0.0.1:1/v1",
});

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "verdict-samples-file-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("samples file", () => {
  it("appends records, reads them back for a resume, and rewrites them in plan order", () => {
    const path = join(dir, "sub", "samples.jsonl");
    const file = openSamplesFile(path);
    expect(file.existing.size).toBe(0);
    for (const r of [record("12", 1), record("11", 0), record("12", 0)]) file.append(r);
    file.close();
    const reopened = openSamplesFile(path);
    expect([...reopened.existing.keys()]).toEqual(["12#1", "11#0", "12#0"]);
    reopened.append(record("11", 1));
    reopened.finalize(["11", "12"]);
    const order = readFileSync(path, "utf8").trimEnd().split("\n").map((l) => {
      const r = JSON.parse(l) as GenerationRecord;
      return `${r.task_id}#${r.sample_index}`;
    });
    expect(order).toEqual(["11#0", "11#1", "12#0", "12#1"]);
  });

  it("cuts a torn last line off (a kill mid-write) and reports the bytes", () => {
    const path = join(dir, "samples.jsonl");
    writeFileSync(path, `${JSON.stringify(record("11", 0))}\n`);
    appendFileSync(path, JSON.stringify(record("11", 1)).slice(0, 40));
    const { records, repairedBytes } = readSampleRecords(path);
    expect(records.map((r) => r.sample_index)).toEqual([0]);
    expect(repairedBytes).toBe(40);
    expect(readFileSync(path, "utf8").endsWith("\n")).toBe(true);
  });

  it("names the line that is not a sample", () => {
    const path = join(dir, "samples.jsonl");
    writeFileSync(path, `${JSON.stringify(record("11", 0))}\n{"task_id": "11", "solution": "x"}\n`);
    expect(() => readSampleRecords(path)).toThrow(InputError);
    expect(() => readSampleRecords(path)).toThrow(/samples\.jsonl:2: not a generated sample: sample_index/);
    writeFileSync(path, "{not json\n");
    expect(() => readSampleRecords(path)).toThrow(/:1: corrupt sample line/);
  });

  it("reads nothing from a file that is not there", () => {
    expect(readSampleRecords(join(dir, "none.jsonl"))).toEqual({ records: [], repairedBytes: 0 });
  });
});
