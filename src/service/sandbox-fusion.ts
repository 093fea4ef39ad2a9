/**
 * SandboxFusion's `/run_code` shapes for Python, and how a raw sandbox result reads in them.
 * This runs code; it does not judge: the client compares stdout itself, so a program that prints
 * the right thing passes there. `/v1/judge` is the forge-proof way.
 */
import { z } from "zod";
import type { RawJobResult } from "../core/job.js";

/** SandboxFusion's RunCodeRequest (Python only here); extra keys it may grow are ignored. */
export const runCodeBodySchema = z.looseObject({
  code: z.string(),
  language: z.string(),
  compile_timeout: z.number().optional(),
  run_timeout: z.number().positive().optional(),
  memory_limit_MB: z.int().optional(),
  stdin: z.string().nullable().optional(),
  files: z.record(z.string(), z.string().nullable()).optional(),
  fetch_files: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
});

/** SandboxFusion's CommandRunResult. */
export interface CommandRunResult {
  status: "Finished" | "Error" | "TimeLimitExceeded";
  execution_time: number | null;
  return_code: number | null;
  stdout: string | null;
  stderr: string | null;
}

/** SandboxFusion's RunCodeResponse. */
export interface RunCodeResponse {
  status: "Success" | "Failed" | "SandboxError";
  message: string;
  compile_result: CommandRunResult | null;
  run_result: CommandRunResult | null;
  executor_pod_name: string | null;
  files: Record<string, string>;
}

/** The languages accepted (SandboxFusion's name for CPython). */
export const RUN_CODE_LANGUAGES = ["python"] as const;

/** What SandboxFusion answers when its own side failed. */
export function sandboxErrorResponse(message: string): RunCodeResponse {
  return { status: "SandboxError", message, compile_result: null, run_result: null, executor_pod_name: null, files: {} };
}

/** stderr as Python would have ended it: the runner reports an uncaught exception as data, not as text. */
function withException(stderr: string, exc: unknown, msg: unknown): string {
  const type = typeof exc === "string" && exc !== "" ? exc : "Exception";
  const text = typeof msg === "string" && msg !== "" ? `${type}: ${msg}` : type;
  return `${stderr}${stderr === "" || stderr.endsWith("\n") ? "" : "\n"}${text}\n`;
}

/** How one run ended, as return code, status and stderr, from the runner's report of it. */
function ending(raw: RawJobResult): { status: CommandRunResult["status"]; code: number | null; stderr: string; stdout: string } {
  const t = raw.tests[0];
  const load = raw.load;
  const stderr = raw.stderr;
  if (load.st === "syntax_error") return { status: "Finished", code: 1, stderr: withException(stderr, load.exc ?? "SyntaxError", `${load.msg ?? ""}${typeof load.line === "number" ? ` (line ${load.line})` : ""}`), stdout: raw.stdout };
  const st = t?.st ?? load.st;
  const detail = t ?? load;
  switch (st) {
    case "value":
      // A stdio test's value is the whole stdout (up to the output limit); the raw stdout is only its head.
      return { status: "Finished", code: 0, stderr, stdout: typeof t?.v === "string" ? t.v : raw.stdout };
    case "raised":
      if (detail.exc === "SystemExit") {
        const msg = typeof detail.msg === "string" ? detail.msg : "";
        if (/^-?\d+$/.test(msg)) return { status: "Finished", code: Number(msg) & 0xff, stderr, stdout: raw.stdout };
        // sys.exit("text") prints the text and exits 1, as CPython does.
        return { status: "Finished", code: 1, stderr: `${stderr}${msg}\n`, stdout: raw.stdout };
      }
      return { status: "Finished", code: 1, stderr: withException(stderr, detail.exc, detail.msg), stdout: raw.stdout };
    case "exited":
      return { status: "Finished", code: typeof detail.code === "number" ? detail.code : 1, stderr, stdout: raw.stdout };
    case "timeout":
      return { status: "TimeLimitExceeded", code: null, stderr, stdout: raw.stdout };
    case "memory":
      return { status: "Finished", code: 1, stderr: withException(stderr, "MemoryError", "memory limit exceeded"), stdout: raw.stdout };
    case "killed":
      return { status: "Finished", code: typeof detail.sig === "number" ? -detail.sig : -9, stderr, stdout: raw.stdout };
    case "output_limit":
      return { status: "Finished", code: -9, stderr: `${stderr}\n[verdict: output limit exceeded; the program was stopped]\n`, stdout: raw.stdout };
    default:
      return { status: "Finished", code: 1, stderr: `${stderr}\n[verdict: the program's result channel was corrupted (${st})]\n`, stdout: raw.stdout };
  }
}

/** A raw sandbox result of a one-stdio-test job as SandboxFusion's response. */
export function runCodeResponse(raw: RawJobResult): RunCodeResponse {
  const e = ending(raw);
  const t = raw.tests[0];
  const run: CommandRunResult = {
    status: e.status,
    execution_time: typeof t?.t === "number" ? t.t : raw.wallSeconds,
    return_code: e.code,
    stdout: e.stdout,
    stderr: e.stderr,
  };
  // SandboxFusion: Success only for a finished run with return code 0; a time-out or a non-zero code is Failed.
  const status = e.status === "Finished" && e.code === 0 ? "Success" : "Failed";
  return { status, message: "", compile_result: null, run_result: run, executor_pod_name: null, files: {} };
}
