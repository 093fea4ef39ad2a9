import { describe, expect, it } from "vitest";
import { PROMPT_STYLE_NAMES, PROMPT_STYLES, tcgStyle, type StyleSettings } from "../../src/prompts/prompt-style.js";
import type { PromptTask } from "../../src/prompts/prompt-task.js";
import { asprPath, planSlots } from "../../src/prompts/sample-slots.js";

const task: PromptTask = { taskId: "7", text: "Add two numbers.", tests: ["assert add(1, 2) == 3"], code: "def add(a, b):\n    return a + b\n" };
const settings: StyleSettings = { api: "completions", shots: [], tests: "all" };

describe("the prompt-style registry", () => {
  it("has one style per name, each with request, parse and toProgram", () => {
    expect(Object.keys(PROMPT_STYLES)).toEqual([...PROMPT_STYLE_NAMES]);
    for (const name of PROMPT_STYLE_NAMES) expect(PROMPT_STYLES[name].name).toBe(name);
  });

  it("vanilla: one answer is a sample, its code the program", () => {
    const style = PROMPT_STYLES.vanilla;
    expect(style.request(task, settings, []).prompt).toContain("Add two numbers.");
    const parsed = style.parse("def add(a, b):\n    return a + b\n[DONE]", task);
    expect(style.toProgram([parsed.text])).toContain("return a + b");
  });

  it("pseudocode: a path of steps, the terminal one's code the program", () => {
    const style = PROMPT_STYLES.pseudocode;
    expect(style.request(task, settings, ["Step one."]).prompt).toMatch(/### Step 2:$/);
    const step = style.parse("(Action 3) Code:\n```python\ndef add(a, b):\n    return a + b\n```\n<Step_End>", task).text;
    expect(style.isTerminal?.(step)).toBe(true);
    expect(style.toProgram(["Plan.", step])).toBe("def add(a, b):\n    return a + b\n");
  });

  it("the test-case generator's style asks the paper's prompt and makes no program", () => {
    const style = tcgStyle({ cases: 2 });
    expect(style.request(task, settings, []).prompt).toContain("[Generate 2 test cases here to validate the code.]");
    expect(style.toProgram(["```case\n# input:\n1, 2\n# output:\n3\n```"])).toBeNull();
  });
});

describe("the sample-slot layout", () => {
  it("puts path p at slot p and its finals after all paths, each request with its own seed", () => {
    expect(planSlots({ purpose: "pass1", n: 5 })).toBe(5);
    expect(planSlots({ purpose: "aspr", paths: 2, finals: 3 })).toBe(8);
    expect(asprPath({ paths: 2, finals: 3 }, 10, 1)).toEqual({
      index: 1,
      seed: 11,
      finals: [
        { index: 5, final: 0 },
        { index: 6, final: 1 },
        { index: 7, final: 2 },
      ],
      finalsSeed: 13,
    });
  });
});
