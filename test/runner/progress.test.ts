import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sample } from "../../src/core/sample.js";
import type { SampleVerdict } from "../../src/core/sample-verdict.js";
import { judgeSamples } from "../../src/runner/judge-samples.js";
import { createProgress, writeLine } from "../../src/runner/progress.js";
import { openResultsStore } from "../../src/runner/results-store.js";

/** A stream that keeps what was written to it, as a terminal would show it in order. */
function capture(): { write(text: string): void; text: () => string } {
  let text = "";
  return { write: (t: string) => void (text += t), text: () => text };
}

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "verdict-progress-"));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("createProgress and writeLine", () => {
  it("a message written while a bar is drawn starts on a line of its own", () => {
    const stream = capture();
    const bar = createProgress(4, "judging", true, stream);
    bar.tick(4);
    writeLine(stream, "verdict: interrupted by SIGINT: …");
    expect(stream.text()).toMatch(/^\rjudging \[#{30}\] 4\/4 [\d.]+\/s \nverdict: interrupted by SIGINT: …\n$/);
    // Once the bar is ended, a message needs no extra newline.
    const after = capture();
    const ended = createProgress(1, "x", true, after);
    ended.tick(1);
    ended.end();
    writeLine(after, "done");
    expect(after.text()).toMatch(/ \ndone\n$/);
    expect(after.text()).not.toContain("\n\n");
  });

  it("draws nothing when disabled (stderr not a terminal, or --json)", () => {
    const stream = capture();
    const bar = createProgress(4, "judging", false, stream);
    bar.tick(4);
    bar.end();
    expect(stream.text()).toBe("");
  });
});

describe("judgeSamples: the progress of a resume", () => {
  const sample = (i: number): Sample => ({ taskId: String(i), sampleIndex: 0, program: `x = ${i}\n` }) as Sample;
  const verdict = (s: Sample): SampleVerdict => ({ task_id: s.taskId, sample_index: s.sampleIndex, status: "pass", tests: [], weak: false, seconds: 0, cached: false, program_sha256: "00" });

  it("counts what the resume found judged: the bar ends at total/total, and the rate counts only this process's work", async () => {
    const dir = join(root, "run");
    const first = openResultsStore(dir);
    for (const i of [0, 1, 2]) first.append(verdict(sample(i)));
    first.close();
    const store = openResultsStore(dir);
    expect(store.existing.size).toBe(3);
    const stream = capture();
    const samples = [0, 1, 2, 3, 4].map(sample);
    const judged: string[] = [];
    // The judge here is a test double: what is under test is the scheduler's count.
    const verdicts = await judgeSamples(samples, async (s) => (judged.push(s.taskId), { verdict: verdict(s) }), { concurrency: 1, store, progress: true, total: 5, progressStream: stream });
    store.close();
    expect(judged).toEqual(["3", "4"]);
    expect(verdicts).toHaveLength(5);
    const draws = stream.text().split("\r").filter((d) => d !== "");
    expect(draws.at(-1)).toMatch(/^judging \[#{30}\] 5\/5 /);
    // Never "1/5" or "2/5" counting from zero: the three found judged are counted first.
    for (const d of draws) expect(Number(/ (\d)\/5 /.exec(d)?.[1])).toBeGreaterThanOrEqual(1);
    expect(stream.text()).not.toMatch(/ 2\/2 /);
  });
});
