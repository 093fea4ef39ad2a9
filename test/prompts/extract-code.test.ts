import { describe, expect, it } from "vitest";
import { definesName, extractCode, findFences, type CodeSource } from "../../src/prompts/extract-code.js";
import { buildVanillaPrompt } from "../../src/prompts/vanilla.js";

const SOLUTION = "def remove_Occ(s, ch):\n    i = s.find(ch)\n    j = s.rfind(ch)\n    if i == -1:\n        return s\n    if i == j:\n        return s[:i] + s[i + 1:]\n    return s[:i] + s[i + 1:j] + s[j + 1:]\n";

const task = {
  taskId: "11",
  text: "Write a python function to remove first and last occurrence of a given character from the string.",
  tests: ['assert remove_Occ("hello","l") == "heo"'],
};

interface Case {
  name: string;
  output: string;
  code: string;
  source: CodeSource;
  entryPoint?: string;
  prompt?: string;
}

const cases: Case[] = [
  {
    name: "a ```python fence with prose around it",
    output: `Here is a Python function that removes the first and last occurrence of a character:\n\n\`\`\`python\n${SOLUTION}\`\`\`\n\nThe function finds both indices and slices them out. For example, remove_Occ("hello", "l") returns "heo".`,
    code: SOLUTION,
    source: "fence",
  },
  {
    name: "a fence with no language",
    output: `Solution:\n\`\`\`\n${SOLUTION}\`\`\``,
    code: SOLUTION,
    source: "fence",
  },
  {
    name: "a ```Python3 fence, upper case",
    output: `\`\`\`Python3\n${SOLUTION}\`\`\``,
    code: SOLUTION,
    source: "fence",
  },
  {
    name: "a ~~~ fence",
    output: `~~~python\n${SOLUTION}~~~\n`,
    code: SOLUTION,
    source: "fence",
  },
  {
    name: "a fence the output never closed (max_tokens)",
    output: `Let me write the function.\n\`\`\`python\n${SOLUTION}\n# test\nprint(remove_Occ("hel`,
    code: `${SOLUTION}\n# test\nprint(remove_Occ("hel\n`,
    source: "open_fence",
  },
  {
    name: "a fence closed on the code's last line",
    output: "```python\ndef add(a, b):\n    return a + b```\nDone.",
    code: "def add(a, b):\n    return a + b\n",
    source: "fence",
  },
  {
    name: "a fence indented inside a list item",
    output: `1. Write the function:\n\n   \`\`\`python\n${SOLUTION.replace(/^/gm, "   ").trimEnd()}\n   \`\`\`\n2. Test it.`,
    code: SOLUTION,
    source: "fence",
  },
  {
    name: "an echo of the prompt before the code",
    prompt: buildVanillaPrompt(task).prompt.replace("[BEGIN]\n", ""),
    output: `${buildVanillaPrompt(task).prompt.replace("[BEGIN]\n", "")}\n${SOLUTION}`,
    code: SOLUTION,
    source: "plain",
  },
  {
    name: "a model that repeats the few-shot format, [BEGIN] to [DONE]",
    output: `You are an expert Python programmer, and here is your task: Write a function.\n[BEGIN]\n${SOLUTION}[DONE]\nYou are an expert Python programmer, and here is your task: Write a function to add two numbers.`,
    code: SOLUTION,
    source: "plain",
  },
  {
    name: "a [DONE] marker right after the code",
    output: `${SOLUTION}[DONE]`,
    code: SOLUTION,
    source: "plain",
  },
  {
    name: "several fences: usage first, then the definition",
    entryPoint: "remove_Occ",
    output: `You would call it like this:\n\`\`\`python\nprint(remove_Occ("hello", "l"))\n\`\`\`\nand here it is:\n\`\`\`python\n${SOLUTION}\`\`\``,
    code: SOLUTION,
    source: "fence",
  },
  {
    name: "several fences: a helper-only block, then the one defining the entry point",
    entryPoint: "remove_Occ",
    output: `First a helper:\n\`\`\`python\ndef strip_one(s, i):\n    return s[:i] + s[i + 1:]\n\`\`\`\nNow the solution:\n\`\`\`python\n${SOLUTION}\`\`\``,
    code: SOLUTION,
    source: "fence",
  },
  {
    name: "several fences with no entry point given: the first that defines a function",
    output: `\`\`\`bash\npip install nothing\n\`\`\`\n\`\`\`python\nx = remove_Occ("a", "a")\n\`\`\`\n\`\`\`python\n${SOLUTION}\`\`\``,
    code: SOLUTION,
    source: "fence",
  },
  {
    name: "an output block next to the code block",
    output: `\`\`\`text\nheo\n\`\`\`\n\`\`\`python\n${SOLUTION}\`\`\``,
    code: SOLUTION,
    source: "fence",
  },
  {
    name: "plain code with prose before and after",
    output: `Sure! Here is the code:\n\n${SOLUTION}\nThis function works by finding the first and last index.\nfor example, it handles strings without the character.`,
    code: SOLUTION,
    source: "plain",
  },
  {
    name: "plain code that starts with module constants and spans brackets",
    output: "R = 3\nC = 3\nDIRS = [\n(0, 1),\n(1, 0),\n]\ndef min_cost(cost, m, n):\n    return cost[m][n]\n\nThe answer uses dynamic programming.",
    code: "R = 3\nC = 3\nDIRS = [\n(0, 1),\n(1, 0),\n]\ndef min_cost(cost, m, n):\n    return cost[m][n]\n",
    source: "plain",
  },
  {
    name: "plain code with a module docstring and imports",
    output: '"""Heap helpers."""\nimport heapq as hq\nfrom typing import List\n\ndef heap_queue_largest(nums: List[int], n: int) -> List[int]:\n    return hq.nlargest(n, nums)\n',
    code: '"""Heap helpers."""\nimport heapq as hq\nfrom typing import List\n\ndef heap_queue_largest(nums: List[int], n: int) -> List[int]:\n    return hq.nlargest(n, nums)\n',
    source: "plain",
  },
  {
    name: "plain chunks: the one defining the entry point wins over test calls",
    entryPoint: "remove_Occ",
    output: `The tests are:\nassert remove_Occ("hello","l") == "heo"\n\nMy solution:\n${SOLUTION}`,
    code: SOLUTION,
    source: "plain",
  },
  {
    name: "a reasoning model's <think> block with draft code",
    output: `<think>\nMaybe:\n\`\`\`python\ndef remove_Occ(s, ch):\n    return s.replace(ch, "")\n\`\`\`\nNo, that removes all of them.\n</think>\n\`\`\`python\n${SOLUTION}\`\`\``,
    code: SOLUTION,
    source: "fence",
  },
  {
    name: "CRLF line ends",
    output: `\`\`\`python\r\n${SOLUTION.replace(/\n/g, "\r\n")}\`\`\`\r\n`,
    code: SOLUTION,
    source: "fence",
  },
  {
    name: "no code at all",
    output: "I'm sorry, but I cannot help with that request.",
    code: "",
    source: "none",
  },
  {
    name: "only pseudocode in a fence",
    output: "```pseudo\nFunction f(x):\n    Return x\n```",
    code: "",
    source: "none",
  },
];

describe("extractCode", () => {
  it.each(cases)("$name", ({ output, code, source, entryPoint, prompt }) => {
    const options = { ...(entryPoint ? { entryPoint } : {}), ...(prompt ? { prompt } : {}) };
    expect(extractCode(output, options)).toEqual({ code, source });
  });
});

describe("findFences", () => {
  it("reports language, body and whether each fence was closed", () => {
    expect(findFences("a\n```python\nx = 1\n```\ntext\n````\nraw ``` inside\n````\n```py\ny = 2")).toEqual([
      { lang: "python", body: "x = 1", closed: true },
      { lang: "", body: "raw ``` inside", closed: true },
      { lang: "py", body: "y = 2", closed: false },
    ]);
  });
});

describe("definesName", () => {
  it.each([
    ["def f(x):", true],
    ["async def f(x):", true],
    ["    def f (x):", true],
    ["class f:", true],
    ["f = lambda x: x", true],
    ["def ff(x):", false],
    ["print(f(1))", false],
  ])("%s -> %s", (code, expected) => {
    expect(definesName(code, "f")).toBe(expected);
  });
});
