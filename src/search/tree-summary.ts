import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { InputError } from "../core/errors.js";
import { isCorrectScore } from "./reward.js";
import type { TaskSearchResult } from "./task-search.js";
import { nodeValue } from "./tree.js";

/**
 * trees/<task>.json: one task's finished (or interrupted) tree, every node with its final
 * statistics. The exports, ASPR C/D and the tree view read these; they are rewritten from the
 * log by every run or resume, so they never disagree with it.
 */

const testOutcomeSchema = z.strictObject({ id: z.string(), outcome: z.string(), detail: z.string().optional() });

export const treeNodeSchema = z.strictObject({
  id: z.int().min(0),
  parent: z.int().min(0).nullable(),
  depth: z.int().min(0),
  step: z.string(),
  action: z.union([z.literal(1), z.literal(2), z.literal(3)]).nullable(),
  n: z.int().min(0),
  w: z.number(),
  /** W / N; null for a node never visited. */
  q: z.number().nullable(),
  prior: z.number().nullable(),
  logprob: z.number().nullable(),
  samples: z.int().positive(),
  terminal: z.enum(["code", "depth_limit", "dead_end"]).nullable(),
  reward: z.number().nullable(),
  compiles: z.boolean().nullable(),
  passed: z.int().min(0).nullable(),
  total: z.int().min(0).nullable(),
  /** Passed every test (code terminals that were judged); null when not judged. */
  correct: z.boolean().nullable(),
  /** Each test's outcome (judged code terminals); null when not judged. */
  tests: z.array(testOutcomeSchema).nullable(),
  program_sha256: z.string().nullable(),
  request_id: z.string().nullable(),
  children: z.array(z.int().min(1)),
});

/** A code step the paper's rule left out: a better-scoring code step of the same expansion was kept. */
export const droppedCodeSchema = z.strictObject({
  parent: z.int().min(0),
  step: z.string(),
  samples: z.int().positive(),
  program_sha256: z.string(),
  reward: z.number(),
  compiles: z.boolean(),
  passed: z.int().min(0),
  total: z.int().min(0),
  tests: z.array(testOutcomeSchema).nullable(),
});

export const treeSummarySchema = z.strictObject({
  format: z.literal(2),
  task_id: z.string(),
  /** The pseudocode prompt before the first step: what every expansion prompt of the task starts with. */
  header: z.string(),
  identity_sha256: z.string(),
  rollouts: z.int().min(0),
  finished: z.boolean(),
  solved: z.boolean(),
  /** Why the task stopped before its rollouts were done (a request or a judgement failed for good; a resume retries); null otherwise. */
  failure: z.strictObject({ node: z.int().min(0), what: z.enum(["expansion", "reward"]), request_id: z.string().nullable(), error: z.string() }).nullable(),
  /** Model usage of the whole tree: the budget a best-of-N baseline is given. */
  usage: z.strictObject({ calls: z.int().min(0), prompt_tokens: z.int().min(0), completion_tokens: z.int().min(0) }),
  nodes: z.array(treeNodeSchema),
  dropped: z.array(droppedCodeSchema),
});

export type TreeNodeSummary = z.infer<typeof treeNodeSchema>;
/** One task's stored tree. */
export type TreeSummary = z.infer<typeof treeSummarySchema>;

/** The stored form of a task's search. */
export function summarizeTree(result: TaskSearchResult, header: string, identitySha256: string): TreeSummary {
  return {
    format: 2,
    task_id: result.tree.taskId,
    header,
    identity_sha256: identitySha256,
    rollouts: result.rollouts,
    finished: result.finished,
    solved: result.solved,
    failure: result.failure && { node: result.failure.node, what: result.failure.what, request_id: result.failure.requestId, error: result.failure.error },
    usage: { calls: result.counts.calls, prompt_tokens: result.counts.promptTokens, completion_tokens: result.counts.completionTokens },
    nodes: result.tree.nodes.map((n) => ({
      id: n.id,
      parent: n.parent,
      depth: n.depth,
      step: n.step,
      action: n.action,
      n: n.n,
      w: n.w,
      q: nodeValue(n),
      prior: n.prior,
      logprob: n.logprob,
      samples: n.samples,
      terminal: n.terminal,
      reward: n.reward,
      compiles: n.score?.compiles ?? null,
      passed: n.score?.passed ?? null,
      total: n.score?.total ?? null,
      correct: n.score ? isCorrectScore(n.score) : null,
      tests: n.score?.tests ?? null,
      program_sha256: n.programSha256,
      request_id: n.requestId,
      children: [...n.children],
    })),
    dropped: result.dropped.map((d) => ({
      parent: d.parent,
      step: d.step,
      samples: d.samples,
      program_sha256: d.programSha256,
      reward: d.reward,
      compiles: d.score.compiles,
      passed: d.score.passed,
      total: d.score.total,
      tests: d.score.tests ?? null,
    })),
  };
}

/** The file name of a task's tree: the id made safe for any file system ("Mbpp/2" → "Mbpp%2F2.json"). */
export function treeFileName(taskId: string): string {
  return `${encodeURIComponent(taskId).replace(/^\./, "%2E")}.json`;
}

/** Writes a tree summary atomically (a reader never sees half a file). */
export function writeTreeSummary(treesDir: string, summary: TreeSummary): void {
  mkdirSync(treesDir, { recursive: true });
  const path = join(treesDir, treeFileName(summary.task_id));
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(summary)}\n`);
  renameSync(tmp, path);
}

/** Reads every tree of a search run's trees/ folder, in file-name order; a bad file is an InputError naming it. */
export function readTreeSummaries(treesDir: string): TreeSummary[] {
  if (!existsSync(treesDir)) throw new InputError("no trees/ folder: not a search run, or one that has not finished a task", treesDir);
  return readdirSync(treesDir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => {
      const path = join(treesDir, f);
      let json: unknown;
      try {
        json = JSON.parse(readFileSync(path, "utf8"));
      } catch (err) {
        throw new InputError(`not JSON: ${(err as Error).message}`, path);
      }
      const parsed = treeSummarySchema.safeParse(json);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new InputError(`not a search tree: ${issue ? `${issue.path.join(".") || "(file)"}: ${issue.message}` : "invalid"}`, path);
      }
      const broken = parsed.data.nodes.find((n, i) => n.id !== i || (n.parent === null ? i !== 0 : n.parent >= i) || n.children.some((c) => c <= i));
      if (broken !== undefined) throw new InputError(`not a search tree: node ${broken.id} is out of place (nodes are listed by id, parents before children)`, path);
      return parsed.data;
    });
}
