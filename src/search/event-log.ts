import { z } from "zod";
import { InputError } from "../core/errors.js";
import { openJsonlAppender, readJsonlFile } from "../util/jsonl-file.js";

/**
 * nodes.jsonl: the search's append-only event log, one JSON object per line, each written with
 * one write call so a kill tears at most the last line.
 *
 * - `start`: the search's identity (settings, model, prompt options) and its sha256; one per
 *   process that wrote to the log.
 * - `expand`: an expansion: the request that was sent and every node it created (id, parent,
 *   depth, step text, action, logprob, prior, terminal, program sha256), in one line, so a node
 *   never exists without its siblings. Under the paper's rule (`code_children: best`) the code
 *   steps among the candidates are judged before the line is written, and `judged` holds every
 *   one's score: the kept one names its node, the others keep their step text.
 * - `reward`: a terminal's judged score (compiles, tests passed/total, each test's outcome) and
 *   reward (`code_children: all`, where a code step is judged when first reached).
 * - `failure`: a model request that failed after the provider's retries, or a program the
 *   sandbox could not judge: the task stopped there, incomplete; a resume asks again.
 * - `backup`: one rollout: its leaf, its value, and N, W, Q of every node on its path after
 *   the update.
 * - `done`: a task finished its rollouts.
 *
 * `expand` and `reward` are the answers of the outside world (model, sandbox); a resume replays
 * them instead of asking again, and everything else (selection, backups) is recomputed from them
 * with the same seeded RNG, so the trees come out the same as in a run never interrupted.
 */

const nodeIdSchema = z.int().min(0);

export const nodeRecordSchema = z.strictObject({
  id: z.int().min(1),
  parent: nodeIdSchema,
  depth: z.int().min(1),
  step: z.string(),
  action: z.union([z.literal(1), z.literal(2), z.literal(3)]).nullable(),
  logprob: z.number().nullable(),
  prior: z.number().min(0).max(1).nullable(),
  samples: z.int().positive(),
  terminal: z.enum(["code", "depth_limit"]).nullable(),
  program_sha256: z.string().nullable(),
});

/** The version of the log's format (and of the search's semantics): a resume reads only its own. */
export const SEARCH_LOG_FORMAT = 2;

const testOutcomeSchema = z.strictObject({ id: z.string(), outcome: z.string(), detail: z.string().optional() });

const scoreFields = {
  program_sha256: z.string(),
  compiles: z.boolean(),
  passed: z.int().min(0),
  total: z.int().min(0),
  reward: z.number().min(0).max(1),
  /** Answered by the reward cache (the same program was judged before). */
  cached: z.boolean(),
  tests: z.array(testOutcomeSchema).optional(),
};

/** A code step of an expansion judged before its line was written (`code_children: best`). */
export const judgedCodeSchema = z.strictObject({
  /** The child it became, or null: dropped, a better code step of the same expansion was kept. */
  node: z.int().min(1).nullable(),
  /** The step's text, for a dropped one (a kept one's is its node's). */
  step: z.string().nullable(),
  samples: z.int().positive(),
  ...scoreFields,
});

export const startEventSchema = z.strictObject({
  kind: z.literal("start"),
  format: z.literal(SEARCH_LOG_FORMAT),
  identity_sha256: z.string(),
  identity: z.record(z.string(), z.unknown()),
  /** The model behind the policy (its server may move between runs, so it is recorded, not part of the identity). */
  policy: z.string(),
  started_at: z.string(),
});

export const expandEventSchema = z.strictObject({
  kind: z.literal("expand"),
  task_id: z.string(),
  node: nodeIdSchema,
  request_id: z.string(),
  /** sha256 of the prompt (or messages) sent: a replay checks that it would send the same. */
  prompt_sha256: z.string(),
  seed: z.int(),
  /** Candidates the server returned, before empty ones were dropped and duplicates merged. */
  candidates: z.int().min(0),
  usage: z.strictObject({ prompt_tokens: z.int().min(0), completion_tokens: z.int().min(0) }),
  children: z.array(nodeRecordSchema),
  judged: z.array(judgedCodeSchema).optional(),
});

export const rewardEventSchema = z.strictObject({
  kind: z.literal("reward"),
  task_id: z.string(),
  node: z.int().min(1),
  ...scoreFields,
});

export const failureEventSchema = z.strictObject({
  kind: z.literal("failure"),
  task_id: z.string(),
  /** The node being expanded, or the code step being judged. */
  node: nodeIdSchema,
  what: z.enum(["expansion", "reward"]),
  request_id: z.string().nullable(),
  error: z.string(),
});

export const backupEventSchema = z.strictObject({
  kind: z.literal("backup"),
  task_id: z.string(),
  rollout: z.int().min(1),
  leaf: nodeIdSchema,
  value: z.number().min(0).max(1),
  path: z.array(z.strictObject({ id: nodeIdSchema, n: z.int().min(1), w: z.number(), q: z.number() })),
});

export const doneEventSchema = z.strictObject({
  kind: z.literal("done"),
  task_id: z.string(),
  rollouts: z.int().min(0),
  solved: z.boolean(),
});

export const searchEventSchema = z.discriminatedUnion("kind", [startEventSchema, expandEventSchema, rewardEventSchema, backupEventSchema, doneEventSchema, failureEventSchema]);

export type NodeRecord = z.infer<typeof nodeRecordSchema>;
export type StartEvent = z.infer<typeof startEventSchema>;
export type ExpandEvent = z.infer<typeof expandEventSchema>;
export type RewardEvent = z.infer<typeof rewardEventSchema>;
export type BackupEvent = z.infer<typeof backupEventSchema>;
export type DoneEvent = z.infer<typeof doneEventSchema>;
export type FailureEvent = z.infer<typeof failureEventSchema>;
export type JudgedCode = z.infer<typeof judgedCodeSchema>;
/** One line of nodes.jsonl. */
export type SearchEvent = z.infer<typeof searchEventSchema>;

/** An event with the line it was read from (for errors that name it). */
export interface LoggedEvent {
  line: number;
  event: SearchEvent;
}

/**
 * Reads a search log. A last line without its newline is what a kill mid-write leaves: it is
 * ignored, and with `repair` cut off the file (so appending starts on a fresh line); its event
 * is produced again by the resume. Any other line that is not a valid event is an InputError
 * naming the line.
 */
export function readSearchLog(path: string, options: { repair?: boolean } = {}): { events: LoggedEvent[]; tornBytes: number } {
  const { lines, tornBytes } = readJsonlFile(path, options);
  const events: LoggedEvent[] = [];
  for (const { line, text } of lines) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new InputError("not JSON: a search log line is torn only at the end of the file; delete this line to redo its work, then resume", path, line);
    }
    const parsed = searchEventSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new InputError(`not a search event: ${issue ? `${issue.path.join(".") || "(line)"}: ${issue.message}` : "invalid"}`, path, line);
    }
    events.push({ line, event: parsed.data });
  }
  return { events, tornBytes };
}

/** An open search log. */
export interface SearchLogWriter {
  readonly path: string;
  append(event: SearchEvent): void;
  close(): void;
}

/** Opens a search log for appending (creating it and its folder). Call after readSearchLog with `repair`. */
export function openSearchLog(path: string): SearchLogWriter {
  const lines = openJsonlAppender(path);
  return { path, append: (event) => lines.append(event), close: () => lines.close() };
}
