import { afterEach, describe, expect, it, vi } from "vitest";
import { colourAllowed, tableStyle } from "../../src/report/table-style.js";
import { renderSummaryTable } from "../../src/report/summary-table.js";
import type { RunSummary } from "../../src/core/run.js";

/* Terminal tables carry colour codes only on a terminal, never with NO_COLOR, and never red headers. */

const SUMMARY: RunSummary = { benchmark: "mbpp", split: "test", tasks: 1, samples: 1, pass_at_k: { "1": 1 }, outcomes: { pass: 1 }, weak_passes: 0, seconds: 1 };
const ESC = "\u001b[";

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("tableStyle", () => {
  it("colours nothing when the stream is not a terminal (a pipe, a file)", () => {
    vi.stubEnv("NO_COLOR", "");
    expect(colourAllowed({})).toBe(false);
    expect(colourAllowed({ isTTY: false })).toBe(false);
    expect(tableStyle({ isTTY: false })).toEqual({ head: [], border: [] });
  });

  it("colours nothing on a terminal when NO_COLOR is set, and bold (never red) headers otherwise", () => {
    vi.stubEnv("NO_COLOR", "1");
    expect(tableStyle({ isTTY: true })).toEqual({ head: [], border: [] });
    vi.stubEnv("NO_COLOR", "");
    expect(tableStyle({ isTTY: true })).toEqual({ head: ["bold"], border: [] });
  });

  it("a summary table printed to a non-terminal stdout holds no escape code", () => {
    // Under the test runner stdout is a pipe, as in `verdict eval … > out.txt`.
    expect(process.stdout.isTTY).not.toBe(true);
    const text = renderSummaryTable(SUMMARY, "/runs/r");
    expect(text).toContain("│ mbpp");
    expect(text).not.toContain(ESC);
  });
});
