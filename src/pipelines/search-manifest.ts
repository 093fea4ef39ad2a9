import { existsSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { InputError } from "../core/errors.js";
import { readRunJson } from "../runner/run-format.js";
import { programFromSteps } from "../prompts/pseudocode.js";
import { SEARCH_FILES } from "../search/driver.js";
import { readTreeSummaries, type TreeSummary } from "../search/tree-summary.js";
import { searchConfigSchema, type SearchConfig } from "./search-run-config.js";

/**
 * A search run directory: `search-manifest.json` (what was searched, how, with which sandbox,
 * and the resolved config a `--resume` continues with), `search-summary.json` (the figures, when
 * the run ends), `run.lock` while a process writes it, and per model a folder with the event
 * log `nodes.jsonl`, the trees `trees/<task>.json`, the baseline `best-of-n.jsonl` and the
 * exports `exports/`. None of a scoring run's files is here, so `verdict runs` does not list it
 * as one; `verdict report` recognises it by its manifest.
 */
export const SEARCH_RUN_FILES = { manifest: "search-manifest.json", summary: "search-summary.json", exports: "exports", ...SEARCH_FILES } as const;

export const searchManifestSchema = z.looseObject({
  kind: z.literal("search"),
  run_id: z.string(),
  verdict_version: z.string(),
  created_at: z.string(),
  status: z.enum(["running", "interrupted", "incomplete", "complete"]),
  benchmark: z.string(),
  split: z.string(),
  data_sha256: z.record(z.string(), z.string()),
  /** Task ids searched, in order. */
  tasks: z.array(z.string()),
  /** Tasks left out: no test to reward them. */
  tasks_without_tests: z.array(z.string()),
  tests: z.looseObject({ source: z.string(), tests_sha256: z.string().optional() }),
  models: z.array(z.strictObject({ name: z.string(), model: z.string(), provider: z.string() })),
  config: searchConfigSchema,
  sandbox: z.looseObject({ backend: z.string(), image: z.string(), imageId: z.string(), workers: z.int() }),
  limits: z.record(z.string(), z.unknown()),
});

/** The manifest of a search run. */
export type SearchManifest = z.infer<typeof searchManifestSchema>;

/** Whether a directory is a search run (it has a search manifest). */
export function isSearchRun(dir: string): boolean {
  return existsSync(join(dir, SEARCH_RUN_FILES.manifest));
}

/** The manifest of a search run; an InputError naming the file when it is missing or not one. */
export function readSearchManifest(dir: string): SearchManifest {
  const path = join(dir, SEARCH_RUN_FILES.manifest);
  const json = readRunJson(path, "search manifest");
  if (json === undefined) throw new InputError(`not a search run (no ${SEARCH_RUN_FILES.manifest})`, dir);
  const parsed = searchManifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError(`not a search manifest: ${issue ? `${issue.path.join(".") || "(file)"}: ${issue.message}` : "invalid"}`, path);
  }
  return parsed.data;
}

/** The folder of one model's search in a run. */
export function modelDir(runDir: string, model: string): string {
  return join(runDir, model);
}

/** The resolved config a search run was started with. */
export function storedSearchConfig(dir: string): SearchConfig {
  return readSearchManifest(dir).config;
}

/** One model's trees in a search run, with each code node's program (the report's tree view). */
export interface SearchRunModel {
  name: string;
  model: string;
  trees: TreeSummary[];
  /** Per tree (same order), the program of each code node and dropped code step, by node id or `d<index>`. */
  programs: Map<string, string>[];
}

/** A search run as a reader sees it: its manifest, and every model's stored trees. */
export function readSearchRun(dir: string): { manifest: SearchManifest; models: SearchRunModel[] } {
  const manifest = readSearchManifest(dir);
  const models = manifest.models.map((m) => {
    const treesDir = join(modelDir(dir, m.name), SEARCH_RUN_FILES.trees);
    const trees = existsSync(treesDir) ? readTreeSummaries(treesDir) : [];
    const programs = trees.map((t) => {
      const out = new Map<string, string>();
      for (const n of t.nodes) if (n.terminal === "code") out.set(String(n.id), programFromSteps([n.step]) ?? "");
      t.dropped.forEach((d, i) => out.set(`d${i}`, programFromSteps([d.step]) ?? ""));
      return out;
    });
    return { name: m.name, model: m.model, trees, programs };
  });
  return { manifest, models };
}
