/**
 * Trainer formats (REFERENCE.md, "Trainer formats"): the rows TRL's trainers read, as zod
 * schemas with their inferred types, and how a file of them is written. The test-case
 * generator's exports (src/tcg/training-*.ts) and the search's (src/search/exports/) both
 * write through here, so an SFT or DPO row means one thing in the whole project.
 */
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { z } from "zod";

/** A TRL SFT row (prompt-completion format): the completion is trained on, the prompt is not. */
export const sftRowSchema = z.object({ prompt: z.string().min(1), completion: z.string().min(1) }).strict();
export type SftRow = z.infer<typeof sftRowSchema>;

/** A TRL DPO row (standard format): chosen and rejected continue the prompt and do not repeat it. */
export const dpoRowSchema = z.object({ prompt: z.string().min(1), chosen: z.string().min(1), rejected: z.string().min(1) }).strict();
export type DpoRow = z.infer<typeof dpoRowSchema>;

/** A TRL PRM row (stepwise supervision): one label per completion step. */
export const trlPrmRowSchema = z.object({ prompt: z.string(), completions: z.array(z.string()), labels: z.array(z.boolean()) }).strict();
export type TrlPrmRow = z.infer<typeof trlPrmRowSchema>;

/** The rows as JSONL: one JSON object per line, each ending in a newline (what the manifests' sha256 is taken of). */
export function toJsonl(rows: readonly object[]): string {
  return rows.map((r) => `${JSON.stringify(r)}\n`).join("");
}

/** Writes `text` to `path` through a temporary file (creating its folder), so a reader never sees half of it. */
export function writeWhole(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}
