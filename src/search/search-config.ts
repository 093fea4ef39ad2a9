import { z } from "zod";
import { canonicalHash } from "../models/canonical-json.js";

/**
 * The settings of an MCTS search over pseudocode steps (the `search:` section of a search
 * config). Defaults are the o1-Coder public code's (REFERENCE.md, "MCTS for reasoning data"):
 * 15 rollouts, depth 5, 3 candidates per expansion, UCT with c = 2.0, α = 0, and its sampling
 * 0.8 / 0.95 / top_k 40 / repetition_penalty 1.1. Every field is recorded in the run's log.
 */
export const searchSettingsSchema = z.strictObject({
  rollouts: z.int().positive().default(15).describe("descents from the root to a terminal step, per task"),
  max_depth: z.int().positive().default(5).describe("steps on a path; a step at this depth without code is terminal with reward 0"),
  n: z.int().positive().default(3).describe("candidate steps per expansion (one request with n)"),
  c: z.number().min(0).default(2.0).describe("exploration constant of UCT / PUCT"),
  selection: z
    .enum(["uct", "puct"])
    .default("uct")
    .describe("uct: unvisited children first, then Q/N + c·sqrt(ln N_parent / N); puct: Q/N + c·P·sqrt(N_parent)/(1 + N), P from the server's token logprobs"),
  alpha: z.number().min(0).max(1).default(0).describe("reward = alpha·compiles + (1 − alpha)·passed/total"),
  tests: z
    .string()
    .regex(/^(benchmark|tcg:.+|benchmark\+tcg:.+)$/, "expected benchmark, tcg:RUN_DIR or benchmark+tcg:RUN_DIR")
    .default("benchmark")
    .describe("which tests give rewards: the benchmark's, the valid tests of a `verdict tcg` run (tcg:RUN_DIR), or both (benchmark+tcg:RUN_DIR)"),
  temperature: z.number().min(0).default(0.8),
  top_p: z.number().gt(0).max(1).default(0.95),
  top_k: z.int().optional().default(40).describe("vLLM / SGLang top_k, sent as is"),
  repetition_penalty: z.number().positive().optional().default(1.1).describe("vLLM / SGLang repetition_penalty, sent as is"),
  max_tokens: z.int().positive().default(512).describe("tokens per step"),
  seed: z.int().min(0).default(0).describe("seed of every random choice of the search and of the request seeds"),
  code_children: z
    .enum(["best", "all"])
    .default("best")
    .describe(
      "best (the paper's rule): the code steps of one expansion are judged at once and only the best-scoring one is kept as a child (the others are recorded in the log); all: every code step is a child, judged when first reached",
    ),
  max_tests: z.int().positive().optional().describe("judge on a fixed subset of at most this many tests per task (the public code uses 10), chosen with tests_seed; default: every test"),
  tests_seed: z.int().min(0).default(0).describe("seed of the test subset (max_tests)"),
  schedule: z
    .enum(["async", "waves"])
    .default("async")
    .describe(
      "async: every task advances on its own, so requests and rewards of different tasks overlap freely; waves: rStar-Math's lockstep batches, one batch of every pending expansion at the model at a time. Either gives the same trees; not part of what a resume must match",
    ),
});

/** Settings that change how the search is scheduled, never which tree it builds: left out of the identity a resume must match. */
export const SCHEDULING_SETTINGS = ["schedule"] as const;

/** Validated search settings, defaults filled in. */
export type SearchSettings = z.infer<typeof searchSettingsSchema>;

/** The settings of the paper's public code. */
export const DEFAULT_SEARCH_SETTINGS: SearchSettings = searchSettingsSchema.parse({});

/** Settings from a partial object (tests, callers that set a few fields); throws a ZodError on bad values. */
export function searchSettings(partial: Partial<SearchSettings> = {}): SearchSettings {
  return searchSettingsSchema.parse(partial);
}

/**
 * sha256 of everything that decides a search's trees besides the tasks and the servers'
 * answers. A resume with a different identity would splice two different searches into one
 * log, so the driver refuses it.
 */
export function searchIdentityHash(identity: Record<string, unknown>): string {
  return canonicalHash(identity);
}
