import { describe, expect, it } from "vitest";
import { parseCaseBlocks } from "../../src/tcg/case-blocks.js";

const block = (input: string, output: string): string => `\`\`\`case\n# input:\n${input}\n# output:\n${output}\n\`\`\`\n`;

describe("parseCaseBlocks", () => {
  it("reads the paper's format, as a fine-tuned model continues the prompt", () => {
    const answer = `${block("'hello', 'l'", "'heo'")}${block("'abcda', 'a'", "'bcd'")}${block("'PHP', 'P'", "'H'")}<|EOT|>`;
    expect(parseCaseBlocks(answer)).toEqual([
      { input: "'hello', 'l'", output: "'heo'" },
      { input: "'abcda', 'a'", output: "'bcd'" },
      { input: "'PHP', 'P'", output: "'H'" },
    ]);
  });

  it("ignores prose around the blocks, and a chat model's CRLF and indentation", () => {
    const answer = [
      "Sure! Here are three test cases for `remove_Occ`:\r",
      "",
      "1. A basic case:",
      "   ```case",
      "   # input:",
      "   'hello', 'l'",
      "   # output:",
      "   'heo'",
      "   ```",
      "",
      "2. Multi-line arguments:",
      "```case",
      "# Input:",
      "[1, 2,",
      " 3], 4",
      "# Output:",
      "[1, 2, 3, 4]",
      "```",
      "These cover typical inputs. # input: is how each starts.",
    ].join("\n");
    expect(parseCaseBlocks(answer)).toEqual([
      { input: "'hello', 'l'", output: "'heo'" },
      { input: "[1, 2,\n 3], 4", output: "[1, 2, 3, 4]" },
    ]);
  });

  it("reads markers carrying their text on the same line, and several cases in one block", () => {
    const answer = "```case\n# input: 1, 2\n# output: 3\n## INPUT 5, 5\n## OUTPUT 10\n```";
    expect(parseCaseBlocks(answer)).toEqual([
      { input: "1, 2", output: "3" },
      { input: "5, 5", output: "10" },
    ]);
  });

  it("takes cases from other fences only when no case fence exists, and skips fences without markers", () => {
    const answer = "```python\ndef f(x):\n    return x\n```\n```python\n# input:\n1\n# output:\n1\n```";
    expect(parseCaseBlocks(answer)).toEqual([{ input: "1", output: "1" }]);
    const both = `${block("1", "1")}\`\`\`text\n# input:\n2\n# output:\n2\n\`\`\``;
    expect(parseCaseBlocks(both)).toEqual([{ input: "1", output: "1" }]);
  });

  it("reads cases written without fences, ending each output at a blank line", () => {
    const answer = "Test 1\n# input:\n'hello', 'l'\n# output:\n'heo'\n\nTest 2\n# input:\n'PHP', 'P'\n# output:\n'H'\n\nThat is all.";
    expect(parseCaseBlocks(answer)).toEqual([
      { input: "'hello', 'l'", output: "'heo'" },
      { input: "'PHP', 'P'", output: "'H'" },
    ]);
  });

  it("marks a case the answer cut short, one without output and an output without input", () => {
    expect(parseCaseBlocks(`${block("1", "2")}\`\`\`case\n# input:\n[1, 2, 3`)).toEqual([
      { input: "1", output: "2" },
      { input: "[1, 2, 3", output: "", problem: "no `# output:` line" },
    ]);
    expect(parseCaseBlocks("```case\n# input:\n1\n# output:\n12")).toEqual([
      { input: "1", output: "12", problem: "the answer ended before the block was closed" },
    ]);
    expect(parseCaseBlocks("```case\n# output:\n3\n```")).toEqual([
      { input: "", output: "3", problem: "an `# output:` line without an `# input:` line" },
    ]);
  });

  it("does not let an unclosed block swallow the next one's fence line", () => {
    const answer = "```case\n# input:\n1\n# output:\n2\n```case\n# input:\n3\n# output:\n4\n```";
    expect(parseCaseBlocks(answer)).toEqual([
      { input: "1", output: "2" },
      { input: "3", output: "4" },
    ]);
  });

  it("leaves out cases drafted while thinking, and finds nothing in an answer without cases", () => {
    expect(parseCaseBlocks(`<think>${block("9", "9")}</think>${block("1", "1")}`)).toEqual([{ input: "1", output: "1" }]);
    expect(parseCaseBlocks("I cannot write tests for this.")).toEqual([]);
    expect(parseCaseBlocks("")).toEqual([]);
  });

  it("returns hostile text as text: nothing in it is run or read", () => {
    const answer = block("__import__('os').system('touch /tmp/pwned')", "0");
    expect(parseCaseBlocks(answer)).toEqual([{ input: "__import__('os').system('touch /tmp/pwned')", output: "0" }]);
  });
});
