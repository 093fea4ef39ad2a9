import { describe, expect, it } from "vitest";
import type { TestsRow } from "../../src/tcg/tests-file.js";
import { buildSftRows, chunks, completionOf, rowsByTask } from "../../src/tcg/training-data.js";

const row = (task: string, i: number, validity: TestsRow["validity"]): TestsRow => ({
  task_id: task,
  id: `tcg/m/0/${i}`,
  origin: { model: "m", request: 0, case: i },
  validity,
  input_text: `${i}, [${i}]`,
  output_text: `${i * 2}`,
  input: null,
  expect: null,
});

describe("training data", () => {
  it("chunks in order, the last chunk shorter", () => {
    expect(chunks([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunks([], 3)).toEqual([]);
    expect(() => chunks([1], 0)).toThrow(RangeError);
  });

  it("writes a completion as the paper's case blocks, as the model wrote them", () => {
    expect(completionOf([row("a", 1, "valid"), row("a", 2, "valid")])).toBe(
      "```case\n# input:\n1, [1]\n# output:\n2\n```\n```case\n# input:\n2, [2]\n# output:\n4\n```",
    );
  });

  it("groups rows by task in first-appearance order, leaving out tasks without a prompt", () => {
    const rows = [row("b", 0, "valid"), row("a", 1, "valid"), row("b", 2, "timeout"), row("c", 3, "valid")];
    const { tasks, withoutPrompt } = rowsByTask({ rows, promptFor: (id) => (id === "c" ? undefined : `P${id}\n`), casesPerCompletion: 3 });
    expect(tasks.map((t) => [t.taskId, t.prompt, t.rows.map((r) => r.id)])).toEqual([
      ["b", "Pb\n", ["tcg/m/0/0", "tcg/m/0/2"]],
      ["a", "Pa\n", ["tcg/m/0/1"]],
    ]);
    expect(withoutPrompt).toBe(1);
  });

  it("makes one SFT row per K valid cases of a task, from valid cases only", () => {
    const rows = [0, 1, 2, 3].map((i) => row("a", i, "valid")).concat([row("a", 4, "wrong_output"), row("b", 5, "unparsable")]);
    const { rows: sft, counts } = buildSftRows({ rows, promptFor: () => "P\n", casesPerCompletion: 3 });
    expect(sft).toEqual([
      { prompt: "P\n", completion: completionOf(rows.slice(0, 3)) },
      { prompt: "P\n", completion: completionOf(rows.slice(3, 4)) },
    ]);
    expect(counts).toEqual({ rows: 2, tasks: 1, valid_cases: 4, tasks_without_prompt: 0 });
  });
});
