import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { InputError } from "../core/errors.js";
import type { BenchmarkSpec } from "../core/task.js";
import { canonicalJson } from "../models/canonical-json.js";
import { writeJsonAtomic } from "../runner/results-store.js";
import { VERSION } from "../version.js";
import { configSplit, type RunConfig } from "./run-config.js";

/** How far a `verdict run` got, as run.json records it. */
export type RunStatus = "running" | "complete" | "interrupted" | "partial";

/** run.json of a `verdict run`: the config, its fingerprint, the models generated with, the status. */
export interface RunRecord {
  verdict_version: string;
  created_at: string;
  benchmark: string;
  split: string;
  tasks: number;
  data_sha256: Record<string, string>;
  fingerprint: unknown;
  config: RunConfig;
  /** Models generated with, in this invocation or an earlier one of the same run. */
  generated_models: string[];
  status: RunStatus;
}

/** What run.json records, so a resume can refuse a config that would mix different samples. */
function fingerprint(cfg: RunConfig): unknown {
  return {
    benchmark: cfg.benchmark,
    split: configSplit(cfg),
    limit: cfg.limit ?? null,
    styles: cfg.styles,
    max_tokens: cfg.max_tokens,
    prompt: cfg.prompt,
    pass1: cfg.pass1,
    aspr: cfg.aspr,
    models: cfg.models.map((m) => ({ name: m.name, model: m.model, api: m.api })),
    // Only when set: a run made before `tests` existed (the benchmark's tests) still resumes.
    ...(cfg.tests !== undefined && cfg.tests !== "benchmark" ? { tests: cfg.tests } : {}),
  };
}

/**
 * Where two fingerprints differ, one entry per field: "limit: 2 then, 3 now",
 * "models[0].model: "a" then, "b" now", "styles: ["vanilla"] then, ["vanilla","pseudocode"] now".
 */
export function differences(then: unknown, now: unknown, path = ""): string[] {
  if (canonicalJson(then) === canonicalJson(now)) return [];
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
  const sameLength = Array.isArray(then) && Array.isArray(now) && then.length === now.length;
  if (sameLength || (isObject(then) && isObject(now))) {
    const a = then as Record<string, unknown>;
    const b = now as Record<string, unknown>;
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    const at = (k: string): string => (Array.isArray(then) ? `${path}[${k}]` : path ? `${path}.${k}` : k);
    return keys.flatMap((k) => differences(a[k], b[k], at(k)));
  }
  const show = (v: unknown): string => (v === undefined ? "unset" : canonicalJson(v));
  return [`${path || "config"}: ${show(then)} then, ${show(now)} now`];
}

/**
 * Writes run.json for a new run, or checks a resumed run's: a config that would mix different
 * samples is refused; the models generated with accumulate over invocations.
 */
export function openRunRecord(runDir: string, cfg: RunConfig, spec: BenchmarkSpec, generateWith: (model: string) => boolean, resume: boolean): { record: RunRecord; write(status: RunStatus): void } {
  const runFile = join(runDir, "run.json");
  const record: RunRecord = {
    verdict_version: VERSION,
    created_at: new Date().toISOString(),
    benchmark: spec.name,
    split: spec.split,
    tasks: spec.tasks.length,
    data_sha256: spec.dataSha256,
    fingerprint: fingerprint(cfg),
    config: cfg,
    generated_models: cfg.models.filter((m) => generateWith(m.name)).map((m) => m.name),
    status: "running",
  };
  if (resume && !existsSync(runFile)) throw new InputError("no run to resume here (run.json is missing)", runDir);
  if (existsSync(runFile)) {
    if (!resume) throw new InputError("a run is already there; resume it or pick another directory", runDir);
    const before = JSON.parse(readFileSync(runFile, "utf8")) as { fingerprint?: unknown; created_at?: string; generated_models?: string[] };
    const differ = differences(before.fingerprint, record.fingerprint);
    if (differ.length > 0) {
      const shown = differ.slice(0, 5).join("; ") + (differ.length > 5 ? `; and ${differ.length - 5} more` : "");
      throw new InputError(`the run was made with a different config: ${shown}; resume with the config it was made with, or start a new run`, runFile);
    }
    if (before.created_at !== undefined) record.created_at = before.created_at;
    record.generated_models = cfg.models.map((m) => m.name).filter((n) => record.generated_models.includes(n) || (before.generated_models ?? []).includes(n));
  }
  mkdirSync(runDir, { recursive: true });
  writeJsonAtomic(runFile, record);
  return { record, write: (status) => writeJsonAtomic(runFile, { ...record, status }) };
}
