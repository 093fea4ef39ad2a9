import type { Outcome } from "../../core/index.js";

/**
 * How each outcome looks in the HTML report. Colours are told apart by hue and lightness, so
 * pass (green) and wrong_answer (red) stay distinct for readers with red-green colour blindness.
 */
export const OUTCOME_STYLE = {
  pass: { color: "#2e9e5b", label: "pass" },
  wrong_answer: { color: "#d1495b", label: "wrong answer" },
  runtime_error: { color: "#f08a24", label: "runtime error" },
  syntax_error: { color: "#8d5a97", label: "syntax error" },
  timeout: { color: "#3d7bd9", label: "timeout" },
  memory_exceeded: { color: "#17a2b8", label: "memory exceeded" },
  output_limit: { color: "#c9a227", label: "output limit" },
  unserializable: { color: "#b5651d", label: "unserializable" },
  killed: { color: "#5c5c5c", label: "killed" },
  missing: { color: "#c8c8c8", label: "missing (no sample)" },
  sandbox_error: { color: "#111111", label: "sandbox error" },
} as const satisfies Record<Outcome, { color: string; label: string }>;
