import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { post, type RunningService, sessionForFile, startService } from "../helpers/judge-service.js";

const fileSession = sessionForFile();

let svc: RunningService;

beforeAll(async () => {
  svc = await startService(fileSession().session, { maxRunSeconds: 20 });
}, 240_000);

afterAll(async () => {
  await svc?.server.close();
});

/** The request verl's sandbox_fusion utilities send. */
function verlRequest(code: string, stdin: string, timeout = 10): Record<string, unknown> {
  return { compile_timeout: timeout, run_timeout: timeout, code, stdin, language: "python", files: {}, fetch_files: [] };
}

describe("POST /run_code (SandboxFusion, Python): runs code, does not judge", () => {
  it("runs a program on stdin and answers SandboxFusion's RunCodeResponse field by field", async () => {
    const r = await post(`${svc.url}/run_code`, verlRequest("import sys\na, b = map(int, sys.stdin.read().split())\nprint(a + b)\nprint('note', file=sys.stderr)\n", "2 40\n"));
    expect(r.status).toBe(200);
    expect(Object.keys(r.json).sort()).toEqual(["compile_result", "executor_pod_name", "files", "message", "run_result", "status"]);
    expect(r.json).toMatchObject({ status: "Success", message: "", compile_result: null, executor_pod_name: null, files: {} });
    expect(Object.keys(r.json.run_result).sort()).toEqual(["execution_time", "return_code", "status", "stderr", "stdout"]);
    expect(r.json.run_result).toMatchObject({ status: "Finished", return_code: 0, stdout: "42\n", stderr: "note\n" });
    expect(typeof r.json.run_result.execution_time).toBe("number");
  });

  it("runs `if __name__ == '__main__'` blocks, as a script would", async () => {
    const r = await post(`${svc.url}/run_code`, { code: "if __name__ == '__main__':\n    print(input()[::-1])\n", language: "python", stdin: "abc" });
    expect(r.json.run_result.stdout).toBe("cba\n");
  });

  it.each([
    ["an uncaught exception", "print('a')\nraise ValueError('boom')\n", { status: "Failed", run: { status: "Finished", return_code: 1, stdout: "a\n" } }, /ValueError: boom/],
    ["sys.exit(3)", "import sys\nsys.exit(3)\n", { status: "Failed", run: { status: "Finished", return_code: 3 } }, /^$/],
    ["a syntax error", "def f(:\n", { status: "Failed", run: { status: "Finished", return_code: 1, stdout: "" } }, /SyntaxError/],
  ])("reports %s as SandboxFusion would", async (_what, code, want, stderr) => {
    const r = await post(`${svc.url}/run_code`, verlRequest(code, ""));
    expect(r.json.status).toBe(want.status);
    expect(r.json.run_result).toMatchObject(want.run);
    expect(r.json.run_result.stderr).toMatch(stderr);
  });

  it("stops a program at run_timeout: TimeLimitExceeded, Failed", async () => {
    const r = await post(`${svc.url}/run_code`, verlRequest("while True:\n    pass\n", "", 1));
    expect(r.json.status).toBe("Failed");
    expect(r.json.run_result).toMatchObject({ status: "TimeLimitExceeded", return_code: null });
  }, 30_000);

  it.each([
    ["another language", { code: "int main(){}", language: "cpp" }, /language: "cpp" is not run here/],
    ["files", { code: "x=1", language: "python", files: { "a.txt": "aGk=" } }, /files, fetch_files: not supported/],
    ["a run_timeout over the limit", { code: "x=1", language: "python", run_timeout: 600 }, /run_timeout: 600 s is over this service's limit of 20 s/],
    ["no code", { language: "python" }, /code/],
  ])("answers %s with 400", async (_what, b, message) => {
    const r = await post(`${svc.url}/run_code`, b);
    expect(r.status).toBe(400);
    expect(r.json.error.message).toMatch(message);
  });
});
