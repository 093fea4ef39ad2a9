import type { Outcome } from "./outcome.js";
import type { SandboxInfo } from "./sandbox.js";

/** summary.json, and the single object `verdict eval --json` prints. */
export interface RunSummary {
  benchmark: string;
  split: string;
  tasks: number;
  samples: number;
  /** Unbiased pass@k for each requested k not above the smallest per-task sample count. */
  pass_at_k: Record<string, number>;
  /** For benchmarks with base and plus tests: pass@k on the base tests alone. */
  base_pass_at_k?: Record<string, number>;
  outcomes: Partial<Record<Outcome, number>>;
  /** Samples whose pass rests on an assert run inside the untrusted process. */
  weak_passes?: number;
  seconds: number;
}

/** manifest.json: everything needed to reproduce and compare a run. */
export interface RunManifest {
  run_id: string;
  verdict_version: string;
  created_at: string;
  benchmark: string;
  split: string;
  data_sha256: Record<string, string>;
  samples_source: string;
  samples_sha256?: string;
  sandbox: SandboxInfo;
  limits: Record<string, unknown>;
  k: number[];
  /** Tests left out because the reference solution failed them (a benchmark defect). */
  reference_failures?: string[];
  status: "running" | "complete" | "interrupted";
  node: string;
  host: { cpus: number; platform: string };
}
