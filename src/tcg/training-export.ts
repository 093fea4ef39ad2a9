/**
 * Writes TCG training data to disk: a JSONL file of TRL rows and, beside it, a small manifest
 * saying where the data came from and how much of what it holds, with the file's sha256 so
 * a trainer run can name exactly what it read.
 *
 * `exportTcgTraining(dir, …)` writes `tcg-sft.jsonl` + `tcg-sft.manifest.json` and
 * `tcg-dpo.jsonl` + `tcg-dpo.manifest.json`; each file appears whole or not at all.
 */
import { join } from "node:path";
import { z } from "zod";
import { sha256 } from "../util/hash.js";
import { buildDpoPairs } from "./dpo-pairs.js";
import { dpoRowSchema, sftRowSchema, toJsonl, writeWhole } from "../training/trl-rows.js";
import { buildSftRows, type TrainingSource } from "./training-data.js";

/** The manifest written beside an export. */
export const trainingManifestSchema = z
  .object({
    /** TRL's dataset format the rows follow. */
    format: z.enum(["trl-sft-prompt-completion", "trl-dpo-standard"]),
    file: z.string().min(1),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    rows: z.int().nonnegative(),
    /** The TCG run directory the rows came from. */
    source_run: z.string().min(1),
    /** sha256 of the run's tests.jsonl, when known. */
    source_tests_sha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
    cases_per_completion: z.int().positive(),
    seed: z.int().optional(),
    counts: z.record(z.string(), z.int().nonnegative()),
    created_at: z.string().optional(),
  })
  .strict();

/** The manifest written beside an export. */
export type TrainingManifest = z.infer<typeof trainingManifestSchema>;

/** Where the rows came from, for the manifests. */
export interface ExportProvenance {
  sourceRun: string;
  sourceTestsSha256?: string;
  createdAt?: string;
}

/** Writes rows as JSONL and the manifest beside it; returns the manifest. */
export async function writeTrainingFile(
  dir: string,
  name: string,
  rows: readonly object[],
  manifest: Omit<TrainingManifest, "file" | "sha256" | "rows" | "source_run" | "source_tests_sha256" | "created_at">,
  provenance: ExportProvenance,
): Promise<TrainingManifest> {
  const file = `${name}.jsonl`;
  const text = toJsonl(rows);
  const full: TrainingManifest = trainingManifestSchema.parse({
    ...manifest,
    file,
    sha256: sha256(text),
    rows: rows.length,
    source_run: provenance.sourceRun,
    ...(provenance.sourceTestsSha256 !== undefined ? { source_tests_sha256: provenance.sourceTestsSha256 } : {}),
    ...(provenance.createdAt !== undefined ? { created_at: provenance.createdAt } : {}),
  });
  writeWhole(join(dir, file), text);
  writeWhole(join(dir, `${name}.manifest.json`), `${JSON.stringify(full, null, 2)}\n`);
  return full;
}

/** Writes the SFT and DPO exports of a TCG run into `dir`; returns their manifests. */
export async function exportTcgTraining(
  dir: string,
  source: TrainingSource,
  options: { seed: number } & ExportProvenance,
): Promise<{ sft: TrainingManifest; dpo: TrainingManifest }> {
  const sft = buildSftRows(source);
  const dpo = buildDpoPairs(source, options.seed);
  // Only TRL's own columns go in the files; kinds and task ids are counted in the manifest.
  const sftRows = sft.rows.map((r) => sftRowSchema.parse(r));
  const dpoRows = dpo.pairs.map((p) => dpoRowSchema.parse({ prompt: p.prompt, chosen: p.chosen, rejected: p.rejected }));
  const k = source.casesPerCompletion;
  return {
    sft: await writeTrainingFile(dir, "tcg-sft", sftRows, { format: "trl-sft-prompt-completion", cases_per_completion: k, counts: sft.counts }, options),
    dpo: await writeTrainingFile(dir, "tcg-dpo", dpoRows, { format: "trl-dpo-standard", cases_per_completion: k, seed: options.seed, counts: dpo.counts }, options),
  };
}
