import { resolve } from "node:path";
import { Command, InvalidArgumentError, Option } from "commander";
import { InputError } from "../../core/errors.js";
import { EXPORT_FORMATS, exportSearchRun } from "../../pipelines/search-export.js";
import { storedSearchConfig } from "../../pipelines/search-manifest.js";
import { loadSearchConfig, type SearchConfig } from "../../pipelines/search-run-config.js";
import { runSearchPipeline, searchResumeCommand } from "../../pipelines/search-run.js";
import { incompleteSearchBanner, renderSearchResult } from "../../report/search-table.js";
import { withInterrupts } from "../../runner/cleanup.js";
import { stderrLine } from "../../runner/progress.js";
import type { ExportFormat } from "../../search/exports/registry.js";
import { addPlacementFlags, configOverrides, placementOf, type PlacementFlags } from "../flags.js";
import { numberFlag } from "./generate.js";

/** Flags of `verdict search [CONFIG]`. */
interface SearchFlags extends PlacementFlags {
  resume?: string;
  out?: string;
  limit?: number;
  data?: string;
  cache: boolean;
  baseline?: "best-of-n";
  json: boolean;
}

/** `verdict search CONFIG.yaml` (MCTS over pseudocode steps) and `verdict search export RUN_DIR`. */
export function registerSearchCommand(program: Command): void {
  const search = program.command("search").description("MCTS over pseudocode steps with sandboxed rewards (o1-Coder §3.2): trees, process-reward data, ASPR C and D, a best-of-N baseline");
  addPlacementFlags(search.command("run", { isDefault: true }))
    .description("search every task of the config with every model (`verdict search CONFIG.yaml`); resumable")
    .argument("[config]", "search config (YAML; see benchmarks/search.yaml and benchmarks/search-config.schema.json); optional with --resume")
    .option("--resume <run-dir>", "continue an interrupted, killed or incomplete search: every logged expansion and reward is replayed, only what is missing is asked")
    .option("--out <dir>", "run directory (default: <config out>/<run-id>)")
    .option("--limit <n>", "only the first N tasks (overrides the config's limit)", numberFlag("--limit", { integer: true, min: 1 }))
    .option("--data <dir>", "data directory laid out like DIR/mbpp/mbpp.jsonl (overrides the config's data)")
    .option("--no-cache", "ask the models and judge everything afresh (no response, verdict or expected-value cache)")
    .addOption(new Option("--baseline <kind>", "also spend each task's search budget on independent paths and compare solved rates pairwise").choices(["best-of-n"]))
    .option("--json", "print one JSON object (the summary) on stdout", false)
    .action(async (configPath: string | undefined, flags: SearchFlags) => {
      if (configPath === undefined && flags.resume === undefined) throw new InputError("give a search config (verdict search CONFIG.yaml), or --resume RUN_DIR");
      const loaded: SearchConfig = configPath !== undefined ? await loadSearchConfig(configPath) : storedSearchConfig(resolve(flags.resume as string));
      const { overrides, words } = configOverrides(flags);
      const config: SearchConfig = { ...loaded, ...overrides };
      const kept = [
        ...words,
        ...(flags.baseline !== undefined ? ["--baseline", flags.baseline] : []),
      ];
      const resumeCommand = (runDir: string): string => [searchResumeCommand(runDir), ...kept].join(" ");
      const result = await withInterrupts(
        (signal) =>
          runSearchPipeline({
            config,
            signal,
            placement: placementOf(flags, { config: config.sandbox, ...(configPath !== undefined ? { configFile: configPath } : {}), workers: config.sandbox.workers }),
            resumeCommand,
            ...(flags.resume !== undefined ? { resume: resolve(flags.resume) } : {}),
            ...(flags.out !== undefined ? { outDir: resolve(flags.out) } : {}),
            noCache: !flags.cache,
            baseline: flags.baseline === "best-of-n",
            log: stderrLine,
            progressEveryMs: 30_000,
          }),
        // Interrupted before the run directory existed: nothing was saved.
        () => ({ saved: "", resume: "" }),
      );
      const resume = resumeCommand(result.runDir);
      if (flags.json) process.stdout.write(`${JSON.stringify(result)}\n`);
      else process.stdout.write(renderSearchResult(result, resume));
      if (result.status === "incomplete") {
        if (flags.json) stderrLine(incompleteSearchBanner(result, resume) ?? "");
        process.exitCode = 1;
      }
    });
  search
    .command("export")
    .description("write training data from a search run's finished trees, with a manifest (counts, thresholds, sha256)")
    .argument("<run-dir>", "a search run directory")
    .requiredOption("--format <format>", `one of: ${EXPORT_FORMATS.join(", ")} (sft: TRL {prompt, completion}; dpo: TRL {prompt, chosen, rejected}; prm: TRL {prompt, completions, labels}; openrlhf-prm: OpenRLHF {input, label})`, parseFormat)
    .option("--model <name>", "only this model's trees (default: every model of the run)")
    .option("--out <dir>", "where to write (default: <run>/<model>/exports/)")
    .option("--margin <x>", "dpo: least difference of value between the chosen and the rejected step", numberFlag("--margin", { positive: true }), 0.5)
    .option("--min-visits <n>", "dpo: least visits a step needs for its value to count", numberFlag("--min-visits", { integer: true, min: 1 }), 1)
    .option("--threshold <x>", "prm: a step is labelled true when its value is at least this", numberFlag("--threshold", { min: 0 }), 0.5)
    .option("--placeholder <token>", "openrlhf-prm: the placeholder token after each step (OpenRLHF's --placeholder_token)", "ки")
    .option("--json", "print the manifests as one JSON array", false)
    .action((runDir: string, o: { format: ExportFormat; model?: string; out?: string; margin: number; minVisits: number; threshold: number; placeholder: string; json: boolean }) => {
      const written = exportSearchRun(resolve(runDir), o.format, {
        margin: o.margin,
        minVisits: o.minVisits,
        threshold: o.threshold,
        placeholder: o.placeholder,
        ...(o.model !== undefined ? { model: o.model } : {}),
        ...(o.out !== undefined ? { outDir: resolve(o.out) } : {}),
      });
      if (o.json) {
        process.stdout.write(`${JSON.stringify(written)}\n`);
        return;
      }
      for (const w of written) {
        const left = w.unfinished > 0 ? `; ${w.unfinished} unfinished tree(s) left out` : "";
        process.stdout.write(`${w.model}: ${w.manifest.rows} ${o.format} rows from ${w.manifest.tasks} trees (${w.manifest.tasks_with_rows} with rows)${left} → ${w.file}\n`);
      }
    });
}

function parseFormat(text: string): ExportFormat {
  if (!(EXPORT_FORMATS as string[]).includes(text)) throw new InvalidArgumentError(`expected one of ${EXPORT_FORMATS.join(", ")}, got "${text}"`);
  return text as ExportFormat;
}
