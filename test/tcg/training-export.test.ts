import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Task } from "../../src/core/task.js";
import { buildTcgPrompt } from "../../src/prompts/tcg.js";
import { parseCaseBlocks } from "../../src/tcg/case-blocks.js";
import { prepareCases, tcgTarget } from "../../src/tcg/generated-tests.js";
import { testsRow } from "../../src/tcg/tests-file.js";
import { exportTcgTraining, trainingManifestSchema } from "../../src/tcg/training-export.js";
import { applyValidation } from "../../src/tcg/validation.js";

const task: Task = {
  taskId: "11",
  text: "Write a python function to remove first and last occurrence of a given character from the string.",
  prompt: "",
  reference: "def remove_Occ(s,ch):\n    return s.replace(ch, '', 1)[::-1].replace(ch, '', 1)[::-1]\n",
  setup: "",
  tests: [{ id: "test/0", group: "test", input: { kind: "expr", src: "remove_Occ('hello','l')" }, expect: { expected: "heo", comparator: { kind: "eq" } }, display: "assert remove_Occ('hello','l') == 'heo'" }],
};
const block = (input: string, output: string): string => `\`\`\`case\n# input:\n${input}\n# output:\n${output}\n\`\`\`\n`;

/** A run's rows: two requests of three cases; four valid, one wrong output, one unparsable. */
function runRows() {
  const seen = new Set<string>();
  const answers = [
    [block("'hello', 'l'", "'heo'"), block("'abcda', 'a'", "'bcd'"), block("'PHP', 'P'", "'HPP'")],
    [block("'banana', 'a'", "'bnan'"), block("'xyx', 'x'", "'y'"), block("'q', __import__('os')", "''")],
  ];
  const outcomes: Record<string, "pass" | "wrong_answer"> = { "'PHP', 'P'": "wrong_answer" };
  return answers.flatMap((blocks, request) => {
    const { cases } = prepareCases(task, tcgTarget(task), parseCaseBlocks(blocks.join("")), { model: "tcg", request, cases: 3, seen });
    const verdicts = cases.filter((c) => c.test).map((c) => ({ id: c.id, outcome: outcomes[c.inputText] ?? ("pass" as const) }));
    return applyValidation(cases, verdicts).map(testsRow);
  });
}

describe("exportTcgTraining", () => {
  it("writes TRL SFT and DPO files with manifests naming the source and the files' sha256", async () => {
    const dir = mkdtempSync(join(tmpdir(), "verdict-tcg-export-"));
    const rows = runRows();
    expect(rows.map((r) => r.validity)).toEqual(["valid", "valid", "wrong_output", "valid", "valid", "unparsable"]);
    const prompt = buildTcgPrompt({ taskId: "11", text: task.text, tests: [], code: task.reference }).prompt;
    const manifests = await exportTcgTraining(
      dir,
      { rows, promptFor: (id) => (id === "11" ? prompt : undefined), casesPerCompletion: 3 },
      { seed: 4, sourceRun: "results/tcg-run", sourceTestsSha256: "a".repeat(64), createdAt: "2025-01-01T00:00:00Z" },
    );

    const sftText = readFileSync(join(dir, "tcg-sft.jsonl"), "utf8");
    const dpoText = readFileSync(join(dir, "tcg-dpo.jsonl"), "utf8");
    const sft = sftText.trimEnd().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    const dpo = dpoText.trimEnd().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    // TRL's prompt-completion SFT format and standard DPO format: exactly these string fields.
    expect(sft.every((r) => JSON.stringify(Object.keys(r)) === '["prompt","completion"]' && typeof r.prompt === "string" && typeof r.completion === "string")).toBe(true);
    expect(dpo.every((r) => JSON.stringify(Object.keys(r)) === '["prompt","chosen","rejected"]' && Object.values(r).every((v) => typeof v === "string"))).toBe(true);
    // prompt + completion is the paper's SFT text; completions exclude the prompt.
    expect(sft).toHaveLength(2);
    expect(`${sft[0]?.prompt}${sft[0]?.completion}`).toBe(`${prompt}${block("'hello', 'l'", "'heo'")}${block("'abcda', 'a'", "'bcd'")}${block("'banana', 'a'", "'bnan'").trim()}`);
    expect(sft[1]?.completion).toBe(block("'xyx', 'x'", "'y'").trim());
    expect(dpo.every((r) => r.prompt === prompt && r.chosen !== r.rejected && !(r.chosen as string).includes("### Instruction"))).toBe(true);
    // One shuffled pair (the 3-case chunk; the 1-case chunk cannot shuffle), one per request with an invalid case.
    expect(dpo).toHaveLength(3);
    expect(dpo[1]?.rejected).toBe(block("'PHP', 'P'", "'HPP'").trim());
    expect(dpo[2]?.rejected).toBe(block("'q', __import__('os')", "''").trim());

    expect(manifests.sft).toEqual({
      format: "trl-sft-prompt-completion",
      file: "tcg-sft.jsonl",
      sha256: createHash("sha256").update(sftText).digest("hex"),
      rows: 2,
      source_run: "results/tcg-run",
      source_tests_sha256: "a".repeat(64),
      cases_per_completion: 3,
      counts: { rows: 2, tasks: 1, valid_cases: 4, tasks_without_prompt: 0 },
      created_at: "2025-01-01T00:00:00Z",
    });
    expect(manifests.dpo).toMatchObject({
      format: "trl-dpo-standard",
      sha256: createHash("sha256").update(dpoText).digest("hex"),
      rows: 3,
      seed: 4,
      counts: { rows: 3, shuffled: 1, own_invalid: 2, chunks_not_shuffled: 1 },
    });
    for (const name of ["tcg-sft", "tcg-dpo"]) {
      const onDisk = JSON.parse(readFileSync(join(dir, `${name}.manifest.json`), "utf8")) as unknown;
      expect(trainingManifestSchema.parse(onDisk)).toEqual(name === "tcg-sft" ? manifests.sft : manifests.dpo);
      expect(existsSync(join(dir, `${name}.jsonl.tmp`))).toBe(false);
    }
  });

  it("gives the same files for the same rows and seed", async () => {
    const rows = runRows();
    const src = { rows, promptFor: () => "P\n", casesPerCompletion: 3 };
    const [a, b] = [mkdtempSync(join(tmpdir(), "verdict-tcg-export-")), mkdtempSync(join(tmpdir(), "verdict-tcg-export-"))];
    const ma = await exportTcgTraining(a, src, { seed: 9, sourceRun: "r" });
    const mb = await exportTcgTraining(b, src, { seed: 9, sourceRun: "r" });
    expect(mb).toEqual(ma);
    expect(readFileSync(join(b, "tcg-dpo.jsonl"), "utf8")).toBe(readFileSync(join(a, "tcg-dpo.jsonl"), "utf8"));
  });
});
