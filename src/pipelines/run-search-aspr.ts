import { existsSync } from "node:fs";
import { join } from "node:path";
import { InputError } from "../core/errors.js";
import { computeSearchAspr, definedMeanCi, type SearchAsprDefinition } from "../metrics/aspr.js";
import type { BootstrapOptions } from "../metrics/bootstrap.js";
import { ciOf, type AsprFigure } from "../metrics/figures.js";
import { asprSearchTasks } from "../search/search-aspr.js";
import { readTreeSummaries } from "../search/tree-summary.js";
import { modelDir, readSearchManifest, SEARCH_RUN_FILES } from "./search-manifest.js";

/**
 * ASPR C and D in `verdict run` and `verdict table1` (`aspr.definition: C|D` with
 * `aspr.search_run: DIR`): read from the finished trees of a `verdict search` run of the same
 * benchmark and split, the model of the same name. Both are defined on pseudocode search trees,
 * so the pseudocode column carries them and vanilla has none; no ASPR samples are drawn.
 */

/** Whether an ASPR definition is read from a search run. */
export function isSearchAspr(definition: string): definition is SearchAsprDefinition {
  return definition === "C" || definition === "D";
}

/** Checks, before anything runs, that the search run exists, searched this benchmark and split, and has every model. */
export function checkSearchRun(dir: string, benchmark: string, split: string, models: readonly string[]): void {
  const manifest = readSearchManifest(dir);
  if (manifest.benchmark !== benchmark || manifest.split !== split) {
    throw new InputError(`aspr.search_run searched ${manifest.benchmark} ${manifest.split}, not ${benchmark} ${split}`, dir);
  }
  const names = manifest.models.map((m) => m.name);
  for (const m of models) {
    if (!names.includes(m)) throw new InputError(`aspr.search_run has no model named "${m}" (it has ${names.join(", ")}); name the run's models as the search named them`, dir);
  }
}

/** One model's ASPR C or D over `taskIds` (benchmark order), with its per-task values (null: the task does not count). */
export function searchAsprFigure(dir: string, model: string, definition: SearchAsprDefinition, taskIds: readonly string[], bootstrap: BootstrapOptions): { figure: AsprFigure; perTask: (number | null)[] } {
  const treesDir = join(modelDir(dir, model), SEARCH_RUN_FILES.trees);
  const trees = existsSync(treesDir) ? readTreeSummaries(treesDir).filter((t) => t.finished) : [];
  const wanted = new Set(taskIds);
  const result = computeSearchAspr(asprSearchTasks(trees.filter((t) => wanted.has(t.task_id))), definition);
  const byTask = new Map(result.perTask.map((t) => [t.taskId, t.value]));
  const perTask = taskIds.map((id) => byTask.get(id) ?? null);
  return {
    figure: {
      definition,
      value: result.value,
      ci: ciOf(definedMeanCi(perTask, undefined, bootstrap)),
      tasks: result.tasks,
      tasksCounted: result.tasksCounted,
      paths: trees.length,
      correctPaths: result.correctPaths,
      finalsCounted: 0,
    },
    perTask,
  };
}

/** The figure of a style that has no search tree (vanilla under C or D). */
export function noAsprFigure(definition: SearchAsprDefinition): AsprFigure {
  return { definition, value: null, ci: null, tasks: 0, tasksCounted: 0, paths: 0, correctPaths: 0, finalsCounted: 0 };
}
