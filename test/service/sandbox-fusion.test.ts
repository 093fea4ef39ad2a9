import { describe, expect, it } from "vitest";
import type { RawJobResult, RawTestResult } from "../../src/core/job.js";
import { runCodeResponse } from "../../src/service/sandbox-fusion.js";

function raw(test: Partial<RawTestResult> & Pick<RawTestResult, "st">, extra: Partial<RawJobResult> = {}): RawJobResult {
  return { id: "j", load: { st: "ok" }, tests: [{ i: 0, t: 0.01, ...test }], stdout: "head", stderr: "", maxRssKb: 1, wallSeconds: 0.02, ...extra };
}

describe("runCodeResponse: how a raw result reads in SandboxFusion's shape", () => {
  it.each([
    ["a finished run (the whole stdout is the stdio value)", raw({ st: "value", v: "full out\n" }), "Success", { status: "Finished", return_code: 0, stdout: "full out\n" }],
    ["an exception", raw({ st: "raised", exc: "KeyError", msg: "'a'" }), "Failed", { status: "Finished", return_code: 1, stderr: "KeyError: 'a'\n" }],
    ["sys.exit(0)-less exit code", raw({ st: "raised", exc: "SystemExit", msg: "4" }), "Failed", { return_code: 4 }],
    ["sys.exit('bye')", raw({ st: "raised", exc: "SystemExit", msg: "bye" }), "Failed", { return_code: 1, stderr: "bye\n" }],
    ["os._exit(5)", raw({ st: "exited", code: 5 }), "Failed", { return_code: 5 }],
    ["a time-out", raw({ st: "timeout" }), "Failed", { status: "TimeLimitExceeded", return_code: null }],
    ["a signal", raw({ st: "killed", sig: 11 }), "Failed", { return_code: -11 }],
    ["memory", raw({ st: "memory" }), "Failed", { return_code: 1, stderr: "MemoryError: memory limit exceeded\n" }],
    ["a syntax error", raw({ st: "skipped" }, { load: { st: "syntax_error", exc: "SyntaxError", msg: "invalid syntax", line: 2 }, tests: [] }), "Failed", { return_code: 1, stderr: "SyntaxError: invalid syntax (line 2)\n" }],
  ])("%s", (_what, r, status, run) => {
    const out = runCodeResponse(r);
    expect(out.status).toBe(status);
    expect(out.run_result).toMatchObject(run);
    expect(out).toMatchObject({ message: "", compile_result: null, executor_pod_name: null, files: {} });
  });
});
