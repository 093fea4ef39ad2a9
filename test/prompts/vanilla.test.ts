import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { InputError } from "../../src/core/errors.js";
import type { PromptTask } from "../../src/prompts/prompt-task.js";
import { buildVanillaChat, buildVanillaPrompt, mbppTaskStatement, parseVanillaOutput, selectFewShot, VANILLA_STOP } from "../../src/prompts/vanilla.js";

const MBPP_DIR = process.env.VERDICT_MBPP_DIR ?? fileURLToPath(new URL("../../../shared/data/mbpp/", import.meta.url));
const MBPP_FILE = join(MBPP_DIR, "mbpp.jsonl");

/** MBPP's prompt split (tasks 1-10) and task 11, read from the data as the benchmark loader would. */
function mbppTasks(): PromptTask[] {
  return readFileSync(MBPP_FILE, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as { task_id: number; text: string; code: string; test_list: string[] })
    .filter((t) => t.task_id <= 11)
    .map((t) => ({ taskId: String(t.task_id), text: t.text, tests: t.test_list, code: t.code }));
}

const task11: PromptTask = {
  taskId: "11",
  text: "Write a python function to remove first and last occurrence of a given character from the string.",
  tests: ['assert remove_Occ("hello","l") == "heo"', 'assert remove_Occ("abcda","a") == "bcd"', 'assert remove_Occ("PHP","P") == "H"'],
};

describe("completion form", () => {
  it("builds MBPP's 0-shot prompt, ending in [BEGIN] and stopping at [DONE]", () => {
    const { prompt, stop } = buildVanillaPrompt(task11);
    expect(stop).toEqual(["[DONE]"]);
    expect(prompt).toMatchInlineSnapshot(`
      "You are an expert Python programmer, and here is your task: Write a python function to remove first and last occurrence of a given character from the string. Your code should pass these tests:

      assert remove_Occ("hello","l") == "heo"
      assert remove_Occ("abcda","a") == "bcd"
      assert remove_Occ("PHP","P") == "H"
      [BEGIN]
      "
    `);
  });

  it.skipIf(!existsSync(MBPP_FILE))("builds the standard 3-shot prompt from MBPP tasks 2, 3 and 4", () => {
    const tasks = mbppTasks();
    const target = tasks.find((t) => t.taskId === "11");
    if (!target) throw new Error("task 11 missing");
    const { prompt } = buildVanillaPrompt(target, { shots: selectFewShot(tasks) });
    expect(prompt).not.toContain("\r");
    expect(prompt.match(/\[BEGIN\]\n/g)).toHaveLength(4);
    expect(prompt.match(/\n\[DONE\]\n/g)).toHaveLength(3);
    expect(prompt).toMatchInlineSnapshot(`
      "You are an expert Python programmer, and here is your task: Write a function to find the similar elements from the given two tuple lists. Your code should pass these tests:

      assert similar_elements((3, 4, 5, 6),(5, 7, 4, 10)) == (4, 5)
      assert similar_elements((1, 2, 3, 4),(5, 4, 3, 7)) == (3, 4)
      assert similar_elements((11, 12, 14, 13),(17, 15, 14, 13)) == (13, 14)
      [BEGIN]
      def similar_elements(test_tup1, test_tup2):
        res = tuple(set(test_tup1) & set(test_tup2))
        return (res)
      [DONE]
      You are an expert Python programmer, and here is your task: Write a python function to identify non-prime numbers. Your code should pass these tests:

      assert is_not_prime(2) == False
      assert is_not_prime(10) == True
      assert is_not_prime(35) == True
      [BEGIN]
      import math
      def is_not_prime(n):
          result = False
          for i in range(2,int(math.sqrt(n)) + 1):
              if n % i == 0:
                  result = True
          return result
      [DONE]
      You are an expert Python programmer, and here is your task: Write a function to find the largest integers from a given list of numbers using heap queue algorithm. Your code should pass these tests:

      assert heap_queue_largest( [25, 35, 22, 85, 14, 65, 75, 22, 58],3)==[85, 75, 65]
      assert heap_queue_largest( [25, 35, 22, 85, 14, 65, 75, 22, 58],2)==[85, 75]
      assert heap_queue_largest( [25, 35, 22, 85, 14, 65, 75, 22, 58],5)==[85, 75, 65, 58, 35]
      [BEGIN]
      import heapq as hq
      def heap_queue_largest(nums,n):
        largest_nums = hq.nlargest(n, nums)
        return largest_nums
      [DONE]
      You are an expert Python programmer, and here is your task: Write a python function to remove first and last occurrence of a given character from the string. Your code should pass these tests:

      assert remove_Occ("hello","l") == "heo"
      assert remove_Occ("abcda","a") == "bcd"
      assert remove_Occ("PHP","P") == "H"
      [BEGIN]
      "
    `);
  });

  it("shows the first assert, or none and the function's name, when asked", () => {
    expect(mbppTaskStatement(task11, "first")).toBe(
      'You are an expert Python programmer, and here is your task: Write a python function to remove first and last occurrence of a given character from the string. Your code should pass these tests:\n\nassert remove_Occ("hello","l") == "heo"\n',
    );
    expect(mbppTaskStatement(task11, "none")).toBe(
      "You are an expert Python programmer, and here is your task: Write a python function to remove first and last occurrence of a given character from the string. The function should be named remove_Occ.\n",
    );
  });

  it("refuses few-shot tasks that are missing or have no code", () => {
    expect(() => selectFewShot([task11])).toThrow(InputError);
    expect(() => selectFewShot([task11], ["11"])).toThrow(/has no reference code/);
    expect(() => buildVanillaPrompt(task11, { shots: [task11] })).toThrow(/has no reference code/);
  });

  it("parses a completion that ran to the stop string, and one that ran past it", () => {
    const clean = "def remove_Occ(s,ch): \n    s = s.replace(ch, '', 1)\n    return s[::-1].replace(ch, '', 1)[::-1]\n";
    expect(parseVanillaOutput(clean, task11)).toEqual({ code: clean.replace(/\s+$/, "\n"), source: "plain" });
    const ranOn = `${clean}[DONE]\nYou are an expert Python programmer, and here is your task: Write a function to add two numbers.`;
    expect(parseVanillaOutput(ranOn, task11).code).toBe(clean.replace(/\s+$/, "\n"));
    expect(VANILLA_STOP).toEqual(["[DONE]"]);
  });
});

describe("chat form", () => {
  it("puts the examples in user/assistant turns and asks for a ```python block", () => {
    const shot: PromptTask = { taskId: "3", text: "Write a python function to identify non-prime numbers.", tests: ["assert is_not_prime(2) == False"], code: "def is_not_prime(n):\r\n    return n < 2 or any(n % i == 0 for i in range(2, n))" };
    expect(buildVanillaChat(task11, { shots: [shot], tests: "first" }).messages).toMatchInlineSnapshot(`
      [
        {
          "content": "You are an expert Python programmer.",
          "role": "system",
        },
        {
          "content": "Here is your task: Write a python function to identify non-prime numbers. Your code should pass these tests:

      assert is_not_prime(2) == False

      Write the complete Python code in a single \`\`\`python code block.",
          "role": "user",
        },
        {
          "content": "\`\`\`python
      def is_not_prime(n):
          return n < 2 or any(n % i == 0 for i in range(2, n))
      \`\`\`",
          "role": "assistant",
        },
        {
          "content": "Here is your task: Write a python function to remove first and last occurrence of a given character from the string. Your code should pass these tests:

      assert remove_Occ("hello","l") == "heo"

      Write the complete Python code in a single \`\`\`python code block.",
          "role": "user",
        },
      ]
    `);
  });

  it("parses a chat answer: the fenced block that defines the entry point", () => {
    const answer = [
      "To remove the first and last occurrence, find both indices:",
      "",
      "```python",
      "def remove_Occ(s, ch):",
      "    i = s.find(ch)",
      "    j = s.rfind(ch)",
      "    if i == -1:",
      "        return s",
      "    if i == j:",
      "        return s[:i] + s[i + 1:]",
      "    return s[:i] + s[i + 1:j] + s[j + 1:]",
      "```",
      "",
      "Example:",
      "```python",
      'print(remove_Occ("hello", "l"))  # heo',
      "```",
    ].join("\n");
    const parsed = parseVanillaOutput(answer, task11);
    expect(parsed.source).toBe("fence");
    expect(parsed.code.split("\n")[0]).toBe("def remove_Occ(s, ch):");
    expect(parsed.code).not.toContain("print");
  });
});
