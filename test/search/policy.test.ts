import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createOpenAICompatibleProvider } from "../../src/models/openai-compatible.js";
import { runSearch } from "../../src/search/driver.js";
import { createExpansionRequests } from "../../src/search/expansion-request.js";
import { createProviderPolicy, meanLogprobs } from "../../src/search/policy.js";
import { searchSettings } from "../../src/search/search-config.js";
import { startOpenAITestServer, type OpenAITestServer, type RecordedRequest } from "../helpers/openai-test-server.js";
import { pseudoStep, scoringJudge, searchTaskFor } from "../helpers/search-doubles.js";

let server: OpenAITestServer;
let dir: string;
beforeEach(async () => {
  server = await startOpenAITestServer();
  dir = mkdtempSync(join(tmpdir(), "verdict-search-policy-"));
});
afterEach(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const provider = (api: "completions" | "chat" = "completions") =>
  createOpenAICompatibleProvider({ baseUrl: server.baseUrl, model: "policy", api, retries: 0, timeoutMs: 5_000 });

/** A vLLM completions answer whose choices carry token logprobs (choices listed out of index order, as a server may). */
function withLogprobs(request: RecordedRequest, steps: { text: string; tokenLogprobs: (number | null)[] }[]): string {
  const choices = steps.map((s, index) => ({ index, text: s.text, finish_reason: "stop", logprobs: { tokens: [], token_logprobs: s.tokenLogprobs } }));
  return JSON.stringify({ id: `cmpl-${request.seq}`, object: "text_completion", choices: choices.reverse(), usage: { prompt_tokens: 50, completion_tokens: 9 } });
}

describe("the provider policy", () => {
  it("sends one completions request with n, the step stop, the paper's sampling and the request's seed", async () => {
    server.respond(() => ({ kind: "answer", texts: [pseudoStep("A"), pseudoStep("B"), pseudoStep("C")], usage: { prompt_tokens: 40, completion_tokens: 30 } }));
    const settings = searchSettings();
    const requests = createExpansionRequests(searchTaskFor("t"), settings, "completions");
    const proposal = await createProviderPolicy(provider(), "completions").propose(requests.request(4, ["first step"]));
    expect(proposal).toEqual({
      candidates: [pseudoStep("A"), pseudoStep("B"), pseudoStep("C")].map((text) => ({ text, meanLogprob: null })),
      usage: { promptTokens: 40, completionTokens: 30 },
    });
    const body = server.requests[0]?.body ?? {};
    expect({ ...body, prompt: undefined }).toEqual({
      model: "policy",
      n: 3,
      temperature: 0.8,
      top_p: 0.95,
      max_tokens: 512,
      stop: ["<Step_End>"],
      seed: 4,
      top_k: 40,
      repetition_penalty: 1.1,
    });
    expect(String(body.prompt)).toMatch(/### Task:\ntask t\n[\s\S]*<Step_Begin>\n### Step 1: first step<Step_End>\n\n<Step_Begin>\n### Step 2:$/);
  });

  it("asks for logprobs under PUCT and reads each choice's mean token logprob in index order", async () => {
    server.respond((r) => ({
      kind: "raw",
      status: 200,
      body: withLogprobs(r, [
        { text: pseudoStep("A"), tokenLogprobs: [null, -1, -3] },
        { text: pseudoStep("B"), tokenLogprobs: [-0.5, -0.5] },
      ]),
    }));
    const requests = createExpansionRequests(searchTaskFor("t"), searchSettings({ selection: "puct", n: 2 }), "completions");
    const proposal = await createProviderPolicy(provider(), "completions").propose(requests.request(0, []));
    expect(server.requests[0]?.body?.logprobs).toBe(1);
    expect(proposal.candidates).toEqual([
      { text: pseudoStep("A"), meanLogprob: -2 },
      { text: pseudoStep("B"), meanLogprob: -0.5 },
    ]);
  });

  it("continues the path as an assistant message for chat models", async () => {
    server.respond(() => ({ kind: "answer", texts: [pseudoStep("A")] }));
    const requests = createExpansionRequests(searchTaskFor("t"), searchSettings({ n: 1, selection: "puct" }), "chat");
    await createProviderPolicy(provider("chat"), "chat").propose(requests.request(2, ["first step"]));
    const body = server.requests[0]?.body ?? {};
    expect(body).toMatchObject({ continue_final_message: true, add_generation_prompt: false, logprobs: true, n: 1 });
    const messages = body.messages as { role: string; content: string }[];
    expect(messages.at(-1)).toEqual({ role: "assistant", content: "<Step_Begin>\n### Step 1: first step<Step_End>\n\n<Step_Begin>\n### Step 2:" });
    expect(meanLogprobs({ choices: [{ index: 0, logprobs: { content: [{ logprob: -1 }, { logprob: -2 }] } }] }, "chat", 1)).toEqual([-1.5]);
  });

  it("turns a request the server refuses into a proposal with an error, not a throw", async () => {
    server.respond(() => ({ kind: "status", status: 400, message: "prompt too long" }));
    const requests = createExpansionRequests(searchTaskFor("t"), searchSettings(), "completions");
    const proposal = await createProviderPolicy(provider(), "completions").propose(requests.request(0, []));
    expect(proposal.candidates).toEqual([]);
    expect(proposal.error).toMatch(/^http: prompt too long/);
  });
});

describe("search against a local OpenAI server", () => {
  it("follows PUCT's prior on the first descent and records the priors", async () => {
    server.respond((r) => {
      const n = Number(r.body?.n ?? 1);
      const steps = [
        { text: " A (Action 1)\n```python\ndef f():\n    return 1\n```", tokenLogprobs: [-2, -2] },
        { text: " B (Action 1)\n```python\ndef f():\n    return 2\n```", tokenLogprobs: [-0.1, -0.1] },
        { text: " C (Action 1)\n```python\ndef f():\n    return 3\n```", tokenLogprobs: [-1, -1] },
      ];
      return { kind: "raw", status: 200, body: withLogprobs(r, steps.slice(0, n)) };
    });
    const { trees } = await runSearch({
      dir,
      tasks: [searchTaskFor("t")],
      settings: searchSettings({ selection: "puct", rollouts: 1, code_children: "all" }),
      policy: createProviderPolicy(provider(), "completions"),
      judge: scoringJudge(),
    });
    const nodes = trees[0]?.nodes ?? [];
    const z = [-2, -0.1, -1].map(Math.exp);
    const sum = z.reduce((a, b) => a + b, 0);
    expect(nodes.slice(1).map((n) => n.prior)).toEqual(z.map((v) => expect.closeTo(v / sum, 12)));
    expect(nodes.slice(1).map((n) => n.n)).toEqual([0, 1, 0]);
    expect(nodes[2]).toMatchObject({ step: expect.stringMatching(/^B /), request_id: "t#0", logprob: expect.closeTo(-0.1, 12) });
  });

  it("visits the same children in another order under UCT than under PUCT: unvisited first, then by prior", async () => {
    // Three code steps, every reward 0; priors exp(mean logprob) normalised: A 0.096, B 0.643, C 0.261.
    server.respond((r) => {
      const steps = [
        { text: " A (Action 3)\n```python\ndef f():\n    return 1\n```", tokenLogprobs: [-2, -2] },
        { text: " B (Action 3)\n```python\ndef f():\n    return 2\n```", tokenLogprobs: [-0.1, -0.1] },
        { text: " C (Action 3)\n```python\ndef f():\n    return 3\n```", tokenLogprobs: [-1, -1] },
      ];
      return { kind: "raw", status: 200, body: withLogprobs(r, steps.slice(0, Number(r.body?.n ?? 1))) };
    });
    const leaves = async (selection: "uct" | "puct"): Promise<string[]> => {
      const at = join(dir, selection);
      const { trees } = await runSearch({
        dir: at,
        tasks: [searchTaskFor("t")],
        settings: searchSettings({ selection, rollouts: 6, code_children: "all" }),
        policy: createProviderPolicy(provider(), "completions"),
        judge: scoringJudge(),
      });
      const label = (id: number) => trees[0]?.nodes[id]?.step.slice(0, 1) ?? "?";
      return readFileSync(join(at, "nodes.jsonl"), "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { kind: string; leaf?: number })
        .filter((e) => e.kind === "backup")
        .map((e) => label(e.leaf ?? -1));
    };
    // PUCT, Q + 2·P·sqrt(max(1, N_p))/(1 + N), all Q = 0: B (1.29 > 0.52), B (0.64 > 0.52), C (0.74 > 0.61),
    // B (0.74 > 0.45), B (0.64 > 0.52), C (0.584 > 0.575).
    expect(await leaves("puct")).toEqual(["B", "B", "C", "B", "B", "C"]);
    // UCT takes every unvisited child first (a seeded random order), then, with equal values, the least visited.
    const uct = await leaves("uct");
    expect([...uct.slice(0, 3)].sort()).toEqual(["A", "B", "C"]);
    expect([...uct.slice(3)].sort()).toEqual(["A", "B", "C"]);
  });
});
