import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createOpenAICompatibleProvider } from "../../src/models/openai-compatible.js";
import {
  buildStepMessages,
  buildStepPrompt,
  formatStep,
  generateStepwise,
  isTerminalStep,
  parseStep,
  programFromSteps,
  PSEUDOCODE_EXAMPLE,
  PSEUDOCODE_STOP,
  stepAction,
} from "../../src/prompts/pseudocode.js";
import type { PromptTask } from "../../src/prompts/prompt-task.js";
import { startOpenAITestServer, type OpenAITestServer } from "../helpers/openai-test-server.js";

const task: PromptTask = {
  taskId: "17",
  text: "Write a function to find the perimeter of a square.",
  tests: ["assert square_perimeter(10)==40", "assert square_perimeter(5)==20", "assert square_perimeter(4)==16"],
};

const STEP1 = "Define the structure (Action 1)\n#### Goal:\nCompute the perimeter from the side length.\n#### Pseudocode:\n```pseudo\nFunction square_perimeter(a):\n    Return the sum of the four sides\n```";
const STEP2 = "Refine the formula (Action 2)\n#### Goal:\nUse multiplication.\n#### Pseudocode:\n```pseudo\nFunction square_perimeter(a):\n    Return 4 * a\n```";
const STEP3 = "Generate the Python code (Action 3)\n#### Python Code:\n```python\ndef square_perimeter(a):\n    return 4 * a\n```\n\nExample:\n```python\nprint(square_perimeter(10))\n```";

describe("prompts", () => {
  it("builds the step-1 prompt: instruction with the three actions, a worked example, the task, the open step", () => {
    expect(buildStepPrompt(task, [], 1)).toMatchInlineSnapshot(`
      "You are an expert Python programmer. Solve the task by reasoning in steps that build and refine pseudocode, then write the code.
      Each step takes exactly one of these actions:
      - Action 1: Define the algorithm's structure in pseudocode: the core functions with their inputs and outputs, without implementation detail.
      - Action 2: Refine part of the pseudocode: spell out the exact steps, conditions and logic. Take this action as often as needed.
      - Action 3: Generate Python code from the refined pseudocode. This is always the final step.
      Write each step between <Step_Begin> and <Step_End>, starting with "### Step N:", a short title and the action taken.
      Steps taking Action 1 or 2 give "#### Goal:" and "#### Pseudocode:" (in a \`\`\`pseudo block); the final step gives
      "#### Python Code:" with the complete solution in a \`\`\`python block.

      ### Example

      ### Task:
      Write a function to return the running maximum of a list of numbers.
      Your code should pass these tests:

      assert running_max([1, 3, 2, 5, 4]) == [1, 3, 3, 5, 5]
      assert running_max([]) == []
      assert running_max([-2, -5, -1]) == [-2, -2, -1]

      <Step_Begin>
      ### Step 1: Define the structure (Action 1)
      #### Goal:
      Outline a function that turns a list into the list of its prefix maxima.
      #### Pseudocode:
      \`\`\`pseudo
      Function running_max(numbers):
          Input: a list of numbers
          Output: a list of the same length whose item i is the largest of numbers[0..i]
          Walk through numbers, keeping the largest value seen so far
      \`\`\`<Step_End>

      <Step_Begin>
      ### Step 2: Refine the walk (Action 2)
      #### Goal:
      Spell out how the largest value so far is kept, including for an empty list.
      #### Pseudocode:
      \`\`\`pseudo
      Function running_max(numbers):
          result = empty list
          best = none
          For each x in numbers:
              If best is none or x > best:
                  best = x
              Append best to result
          Return result
      \`\`\`<Step_End>

      <Step_Begin>
      ### Step 3: Generate the Python code (Action 3)
      #### Python Code:
      \`\`\`python
      def running_max(numbers):
          result = []
          best = None
          for x in numbers:
              if best is None or x > best:
                  best = x
              result.append(best)
          return result
      \`\`\`<Step_End>

      ### Task:
      Write a function to find the perimeter of a square.
      Your code should pass these tests:

      assert square_perimeter(10)==40
      assert square_perimeter(5)==20
      assert square_perimeter(4)==16

      <Step_Begin>
      ### Step 1:"
    `);
  });

  it("appends earlier steps in the public code's format and ends in the next step's header", () => {
    const prompt = buildStepPrompt(task, [STEP1, STEP2], 3, { examples: [], tests: "first" });
    expect(prompt.endsWith(`### Task:\nWrite a function to find the perimeter of a square.\nYour code should pass these tests:\n\nassert square_perimeter(10)==40\n\n${formatStep(1, STEP1)}${formatStep(2, STEP2)}<Step_Begin>\n### Step 3:`)).toBe(true);
    // concat_ost_steps: f"<Step_Begin>\n### Step {step_id}: " + step_text + "<Step_End>\n\n"
    expect(formatStep(2, "x")).toBe("<Step_Begin>\n### Step 2: x<Step_End>\n\n");
    expect(PSEUDOCODE_STOP).toEqual(["<Step_End>"]);
  });

  it("refuses a step number that does not follow the steps given", () => {
    expect(() => buildStepPrompt(task, [STEP1], 3)).toThrow(RangeError);
  });

  it("builds a chat form whose assistant message the model continues", () => {
    const { messages, extra } = buildStepMessages(task, [STEP1], 2, { examples: [] });
    expect(messages.map((m) => m.role)).toEqual(["system", "user", "assistant"]);
    expect(messages[0]?.content.startsWith("You are an expert Python programmer. Solve the task")).toBe(true);
    expect(messages[1]?.content).toBe("### Task:\nWrite a function to find the perimeter of a square.\nYour code should pass these tests:\n\nassert square_perimeter(10)==40\nassert square_perimeter(5)==20\nassert square_perimeter(4)==16");
    expect(messages[2]?.content).toBe(`${formatStep(1, STEP1)}<Step_Begin>\n### Step 2:`);
    expect(extra).toEqual({ continue_final_message: true, add_generation_prompt: false });
  });
});

describe("parsing steps", () => {
  it.each([
    ["what the server returns without the stop string", ` ${STEP1}\n`, STEP1],
    ["a server that includes the stop string", ` ${STEP1}<Step_End>`, STEP1],
    ["a model that runs on into the next step", ` ${STEP1}\n\n<Step_Begin>\n### Step 2: more`, STEP1],
    ["a model that repeats the step header", `### Step 1: ${STEP1}`, STEP1],
    ["CRLF", ` ${STEP1.replace(/\n/g, "\r\n")}`, STEP1],
  ])("cleans %s", (_name, raw, expected) => {
    expect(parseStep(raw)).toBe(expected);
  });

  it("calls a step terminal when it holds a ```python fence", () => {
    expect([STEP1, STEP2, STEP3].map(isTerminalStep)).toEqual([false, false, true]);
    expect(isTerminalStep("#### Python Code:\n```Python\nx = 1\n```")).toBe(true);
    expect(isTerminalStep("#### Python Code:\n```\nx = 1\n```")).toBe(false);
  });

  it("reads the action a step names", () => {
    expect([STEP1, STEP2, STEP3, "Think more"].map(stepAction)).toEqual([1, 2, 3, undefined]);
  });

  it("takes the program from the first ```python block of the terminal step", () => {
    expect(programFromSteps([STEP1, STEP2, STEP3])).toBe("def square_perimeter(a):\n    return 4 * a\n");
    expect(programFromSteps([STEP1, STEP2])).toBeNull();
    expect(programFromSteps(["Code (Action 3)\n#### Python Code:\n```python\ndef f():\n    return 1"])).toBe("def f():\n    return 1\n");
    expect(programFromSteps(["Code (Action 3)\n#### Python Code: ```python\ndef f():\n    return 2\n``` done"])).toBe("def f():\n    return 2\n");
    expect(programFromSteps(PSEUDOCODE_EXAMPLE.steps)).toContain("def running_max(numbers):\n    result = []");
  });
});

describe("generateStepwise against a model server", () => {
  let server: OpenAITestServer;
  beforeEach(async () => {
    server = await startOpenAITestServer();
  });
  afterEach(async () => {
    await server.close();
  });

  const provider = () => createOpenAICompatibleProvider({ baseUrl: server.baseUrl, model: "Qwen/Qwen2.5-7B", api: "completions", retries: 0 });
  const generator = (p: ReturnType<typeof provider>) => async (prompt: string) => {
    const result = await p.complete({ prompt, stop: PSEUDOCODE_STOP, n: 1, temperature: 0.8, top_p: 0.95, max_tokens: 1024, extra: { top_k: 40, repetition_penalty: 1.1 } });
    return result.texts[0] ?? "";
  };

  it("asks for steps until one holds code, and returns its program", async () => {
    const scripted = [STEP1, STEP2, STEP3];
    server.respond((req) => {
      const n = Number(/### Step (\d+):$/.exec(String(req.body?.prompt))?.[1]);
      return { kind: "answer", texts: [` ${scripted[n - 1] ?? ""}\n`] };
    });
    const result = await generateStepwise(task, generator(provider()), { maxSteps: 5 });
    expect(result).toEqual({ steps: [STEP1, STEP2, STEP3], program: "def square_perimeter(a):\n    return 4 * a\n", stoppedBy: "terminal" });
    expect(server.requests.map((r, i) => String(r.body?.prompt).endsWith(`\n\n<Step_Begin>\n### Step ${i + 1}:`))).toEqual([true, true, true]);
    expect(server.requests.every((r) => JSON.stringify(r.body?.stop) === '["<Step_End>"]')).toBe(true);
    expect(String(server.requests[2]?.body?.prompt)).toContain(`${formatStep(1, STEP1)}${formatStep(2, STEP2)}<Step_Begin>\n### Step 3:`);
  });

  it("gives up after the step limit when no step writes code", async () => {
    server.respond(() => ({ kind: "answer", texts: [` ${STEP2}`] }));
    const result = await generateStepwise(task, generator(provider()), { maxSteps: 3 });
    expect(result.stoppedBy).toBe("step_limit");
    expect(result.program).toBeNull();
    expect(result.steps).toHaveLength(3);
    expect(server.requests).toHaveLength(3);
  });
});
