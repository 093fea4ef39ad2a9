/**
 * What `verdict run` and `verdict table1` measure: per model and style Pass@1 and ASPR with
 * intervals, pseudocode minus vanilla, the generation and judging counts; results.json holds it.
 */
import type { AsprFigure, DeltaFigure, Pass1Figure } from "../metrics/figures.js";
import type { PromptStyleName } from "../prompts/prompt-style.js";
import type { GenerationFailure } from "./generate.js";
import type { CellId } from "./run-cells.js";
import type { ModelConfig, RunConfig } from "./run-config.js";

/** One style's figures for one model. */
export interface StyleResult {
  pass1: Pass1Figure;
  aspr: AsprFigure;
  /** The cells' run directories. */
  dirs: { pass1: string; aspr: string };
}

/** Pseudocode minus vanilla, with paired intervals over tasks. */
export interface DeltaResult {
  pass1: DeltaFigure;
  aspr: DeltaFigure;
}

/** Everything measured for one model. */
export interface ModelResult {
  name: string;
  model: string;
  provider: string;
  styles: Partial<Record<PromptStyleName, StyleResult>>;
  /** Present when both styles ran. */
  delta: DeltaResult | null;
  paper: NonNullable<ModelConfig["paper"]> | null;
}

/** The whole run's outcome; also results.json in the run directory. */
export interface PipelineResult {
  runDir: string;
  verdictVersion: string;
  benchmark: { name: string; split: string; tasks: number; dataSha256: Record<string, string> };
  settings: {
    pass1: RunConfig["pass1"];
    aspr: RunConfig["aspr"];
    prompt: RunConfig["prompt"];
    maxTokens: number;
    ci: RunConfig["ci"];
  };
  models: ModelResult[];
  generation: {
    requests: number;
    cachedRequests: number;
    samples: number;
    failures: (GenerationFailure & CellId)[];
  };
  /** Verdicts of every cell, and how many of them were reused from the verdict cache (absent in runs made before). */
  judging?: { verdicts: number; cached: number };
  /**
   * Cells whose generation failed for some tasks after retries, with those tasks: the figures
   * cover the other tasks only (each figure says how many), and `--resume` completes them. Empty when complete.
   */
  incomplete: (CellId & { tasks: string[] })[];
  seconds: number;
}
