import { existsSync } from "node:fs";
import { join } from "node:path";
import { InputError } from "../core/errors.js";
import { SEARCH_EXPORTS, writeExport, type ExportFormat, type ExportOptions } from "../search/exports/registry.js";
import type { ExportManifest } from "../search/exports/manifest.js";
import { readSearchLog } from "../search/event-log.js";
import { readTreeSummaries } from "../search/tree-summary.js";
import { modelDir, readSearchManifest, SEARCH_RUN_FILES } from "./search-manifest.js";

/**
 * `verdict search export RUN_DIR --format F`: training data from a search run's trees, per
 * model, written as `<format>.jsonl` and `<format>.manifest.json` (src/search/exports). Only
 * finished trees count: an interrupted or failed task's values are those of a search that
 * stopped early.
 */

/** The formats, by the names the CLI takes. */
export const EXPORT_FORMATS = Object.keys(SEARCH_EXPORTS) as ExportFormat[];

/** What one model's export wrote. */
export interface ModelExport {
  model: string;
  dir: string;
  file: string;
  manifest: ExportManifest;
  /** Trees left out because their search did not finish. */
  unfinished: number;
}

/** Writes one export per model of a search run (or of the one named), into `<model>/exports/` or `outDir` (`outDir/<model>/` with several models). */
export function exportSearchRun(runDir: string, format: ExportFormat, options: ExportOptions & { model?: string; outDir?: string } = {}): ModelExport[] {
  const manifest = readSearchManifest(runDir);
  const names = manifest.models.map((m) => m.name);
  if (options.model !== undefined && !names.includes(options.model)) throw new InputError(`no model named "${options.model}" in this search (it has ${names.join(", ")})`, runDir);
  const chosen = options.model !== undefined ? [options.model] : names;
  return chosen.map((model) => {
    const treesDir = join(modelDir(runDir, model), SEARCH_RUN_FILES.trees);
    if (!existsSync(treesDir)) throw new InputError(`model ${model} has no trees yet (its search has not finished a task); resume the search first`, runDir);
    const all = readTreeSummaries(treesDir);
    const trees = all.filter((t) => t.finished);
    const dir = options.outDir === undefined ? join(modelDir(runDir, model), SEARCH_RUN_FILES.exports) : chosen.length > 1 ? join(options.outDir, model) : options.outDir;
    const written = writeExport(dir, format, trees, options);
    return { model, dir, file: join(dir, `${format}.jsonl`), manifest: written, unfinished: all.length - trees.length };
  });
}

/** What an interrupted search saved, per model: finished tasks and logged events (for the interrupt's message). */
export function savedSearchWork(runDir: string): string {
  if (!existsSync(join(runDir, SEARCH_RUN_FILES.manifest))) return "";
  const manifest = readSearchManifest(runDir);
  const parts = manifest.models.map((m) => {
    const log = join(modelDir(runDir, m.name), SEARCH_RUN_FILES.log);
    let events: ReturnType<typeof readSearchLog>["events"] = [];
    try {
      events = existsSync(log) ? readSearchLog(log).events : [];
    } catch {
      // A log a resume must repair says nothing here; the resume will.
    }
    const done = new Set(events.flatMap((e) => (e.event.kind === "done" ? [e.event.task_id] : [])));
    return `${m.name}: ${done.size} of ${manifest.tasks.length} tasks finished, ${events.length} events in ${log}`;
  });
  return `${parts.join("; ")} (every expansion and reward made so far is kept)`;
}
