import { describe, expect, it } from "vitest";
import { InputError } from "../../src/core/errors.js";
import type { PromptTask } from "../../src/prompts/prompt-task.js";
import {
  buildTcgChat,
  buildTcgPrompt,
  renderCaseBlock,
  renderCases,
  TCG_STOP,
  tcgPromptBody,
  tcgTestPartLine,
} from "../../src/prompts/tcg.js";

const task11: PromptTask = {
  taskId: "11",
  text: "Write a python function to remove first and last occurrence of a given character from the string. ",
  tests: ['assert remove_Occ("hello","l") == "heo"'],
  code: "def remove_Occ(s,ch): \r\n    return s.replace(ch, '', 1)[::-1].replace(ch, '', 1)[::-1]\r\n",
};

describe("completion form", () => {
  it("is the paper's template: instruction, problem, code part, test part, ending in a line break", () => {
    const { prompt, stop } = buildTcgPrompt(task11);
    expect(stop).toEqual(TCG_STOP);
    expect(prompt).toMatchInlineSnapshot(`
      "### Instruction
      Please complete the task in the code part and generate some test case in the test part that can be used to test the quality of the generated code.
      ### Problem
      Write a python function to remove first and last occurrence of a given character from the string.
      ### Code Part
      \`\`\`python
      def remove_Occ(s,ch): 
          return s.replace(ch, '', 1)[::-1].replace(ch, '', 1)[::-1]
      \`\`\`
      ### Test Part
      [Generate 3 test cases here to validate the code.]
      "
    `);
  });

  it("asks for K cases, and starts with the body the training exports use as their prompt", () => {
    const { prompt } = buildTcgPrompt(task11, { cases: 5 });
    expect(prompt.startsWith(tcgPromptBody(task11))).toBe(true);
    expect(prompt.endsWith("### Test Part\n[Generate 5 test cases here to validate the code.]\n")).toBe(true);
    expect(tcgTestPartLine(1)).toBe("[Generate 1 test case here to validate the code.]");
  });

  it("adds the case format, naming the entry point, only when asked", () => {
    expect(buildTcgPrompt(task11).prompt).not.toContain("# input:");
    const { prompt } = buildTcgPrompt(task11, { formatHint: true, maxCaseChars: 80 });
    expect(prompt).toContain("<the arguments of `remove_Occ`, written as between the parentheses of a call");
    expect(prompt).toContain("within 80 characters");
    expect(prompt.indexOf("# input:")).toBeGreaterThan(prompt.indexOf("### Test Part"));
  });

  it("refuses a task without a reference and a case count that is not a positive integer", () => {
    expect(() => buildTcgPrompt({ ...task11, code: undefined })).toThrow(InputError);
    expect(() => buildTcgPrompt(task11, { cases: 0 })).toThrow(/positive integer/);
    expect(() => buildTcgChat(task11, { cases: 1.5 })).toThrow(/positive integer/);
  });
});

describe("chat form", () => {
  it("puts the case format in the system message and the paper's prompt in the user's", () => {
    const { messages } = buildTcgChat(task11, { cases: 2 });
    expect(messages.map((m) => m.role)).toEqual(["system", "user"]);
    expect(messages[0]?.content).toContain("Write 2 test cases, each in its own block:\n```case\n# input:\n");
    expect(messages[1]?.content).toBe(`${tcgPromptBody(task11)}### Test Part\n[Generate 2 test cases here to validate the code.]`);
  });
});

describe("case rendering", () => {
  it("writes the paper's block, which is what the size cap measures", () => {
    expect(renderCaseBlock(" 'hello', 'l' \n", "'heo'")).toBe("```case\n# input:\n'hello', 'l'\n# output:\n'heo'\n```\n");
    expect(renderCaseBlock("", "").length).toBe(33);
    expect(renderCases([{ input: "1", output: "2" }, { input: "3", output: "4" }])).toBe(
      "```case\n# input:\n1\n# output:\n2\n```\n```case\n# input:\n3\n# output:\n4\n```",
    );
  });
});
