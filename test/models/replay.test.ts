import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InputError } from "../../src/core/errors.js";
import { createOpenAICompatibleProvider } from "../../src/models/openai-compatible.js";
import type { GenerationRequest } from "../../src/models/provider.js";
import { createReplayProvider, withRecorder, type RecordingLine } from "../../src/models/replay.js";
import { withCache } from "../../src/models/response-cache.js";
import { buildVanillaPrompt, parseVanillaOutput } from "../../src/prompts/vanilla.js";
import { startOpenAITestServer, type OpenAITestServer } from "../helpers/openai-test-server.js";

const fixture = fileURLToPath(new URL("../fixtures/models/mbpp-11-vanilla.replay.jsonl", import.meta.url));

const task = {
  taskId: "11",
  text: "Write a python function to remove first and last occurrence of a given character from the string.",
  tests: ['assert remove_Occ("hello","l") == "heo"', 'assert remove_Occ("abcda","a") == "bcd"', 'assert remove_Occ("PHP","P") == "H"'],
};
const sampling = { n: 1, temperature: 0.8, top_p: 0.95, max_tokens: 512, extra: { top_k: 40, repetition_penalty: 1.1 } };

let server: OpenAITestServer;
let dir: string;
beforeEach(async () => {
  server = await startOpenAITestServer();
  dir = await mkdtemp(join(tmpdir(), "verdict-replay-"));
});
afterEach(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe("withRecorder + createReplayProvider", () => {
  it("replays what was recorded, with no server", async () => {
    const file = join(dir, "sub", "run.jsonl");
    const http = createOpenAICompatibleProvider({ baseUrl: server.baseUrl, model: "m", api: "completions" });
    const recorder = withRecorder(http, file);
    const requests: GenerationRequest[] = [0, 1, 2].map((seed) => ({ ...buildVanillaPrompt(task), ...sampling, seed }));
    const live = await Promise.all(requests.map((r) => recorder.complete(r)));
    await server.close();

    const lines = (await readFile(file, "utf8")).trim().split("\n").map((l) => JSON.parse(l) as RecordingLine);
    expect(lines).toHaveLength(3);
    expect(lines.every((l) => l.response.raw === undefined)).toBe(true);

    const replay = createReplayProvider(file);
    for (const [i, r] of requests.entries()) {
      const answer = await replay.complete(r);
      expect(answer.texts).toEqual(live[i]?.texts);
      expect(answer.usage).toEqual(live[i]?.usage);
      expect(answer.cached).toBe(true);
    }
    server = await startOpenAITestServer();
  });

  it("does not record error results", async () => {
    server.respond(() => ({ kind: "status", status: 400, message: "too long" }));
    const file = join(dir, "errors.jsonl");
    const recorder = withRecorder(createOpenAICompatibleProvider({ baseUrl: server.baseUrl, model: "m", api: "completions" }), file);
    const result = await recorder.complete({ prompt: "x", ...sampling });
    expect(result.error?.status).toBe(400);
    await expect(readFile(file, "utf8")).rejects.toThrow(/ENOENT/);
  });

  it("keeps the raw server body when asked", async () => {
    const file = join(dir, "raw.jsonl");
    const recorder = withRecorder(createOpenAICompatibleProvider({ baseUrl: server.baseUrl, model: "m", api: "completions" }), file, { keepRaw: true });
    await recorder.complete({ prompt: "x", ...sampling });
    const line = JSON.parse(await readFile(file, "utf8")) as RecordingLine;
    expect(line.response.raw).toMatchObject({ object: "text_completion", choices: [{ text: "echo 0: x" }] });
  });
});

describe("createReplayProvider", () => {
  const request = (seed: number): GenerationRequest => ({ ...buildVanillaPrompt(task), ...sampling, seed });

  it("serves a recorded fixture, a request recorded twice in file order, the last repeating", async () => {
    const replay = createReplayProvider(fixture);
    const seed0 = await replay.complete(request(0));
    expect(parseVanillaOutput(seed0.texts[0] ?? "", task).code).toContain("for i in range(len(s) - 1,-1,-1):");
    const seed1 = [await replay.complete(request(1)), await replay.complete(request(1)), await replay.complete(request(1))];
    expect(seed1.map((r) => (r.texts[0] ?? "").split("\n")[1])).toEqual(["    first = s.find(ch)", "    i = s.find(ch)", "    i = s.find(ch)"]);
    expect(replay.id()).toBe(`replay:${fixture}`);
  });

  it("matches requests whatever the order of their fields", async () => {
    const replay = createReplayProvider(fixture);
    const r = request(0);
    const reordered: GenerationRequest = { extra: r.extra, seed: r.seed, stop: r.stop, max_tokens: r.max_tokens, top_p: r.top_p, temperature: r.temperature, n: r.n, prompt: r.prompt };
    expect((await replay.complete(reordered)).texts).toHaveLength(1);
  });

  it("throws for a request the recording does not hold, naming how the nearest one differs", async () => {
    const replay = createReplayProvider(fixture);
    await expect(replay.complete({ ...request(0), temperature: 0.2 })).rejects.toThrow(InputError);
    await expect(replay.complete({ ...request(5), temperature: 0.2 })).rejects.toThrow(/no recorded answer for this request \(2 recorded\); the nearest recorded request differs in: seed, temperature/);
  });

  it("works behind the response cache, which then stores nothing new", async () => {
    const cache = withCache(createReplayProvider(fixture), { dir });
    const result = await cache.complete(request(0));
    expect(result.texts).toHaveLength(1);
    expect(result.cached).toBe(true);
    expect(await readdir(dir)).toEqual([]);
  });

  it("names the file and line of a malformed recording", async () => {
    const file = join(dir, "bad.jsonl");
    await writeFile(file, `${(await readFile(fixture, "utf8")).split("\n")[0]}\n\n{"request": {"prompt": "x"}, "response": {}}\n`);
    expect(() => createReplayProvider(file)).toThrow(new RegExp(`${file}:3: not a \\{request, response\\} pair`));
    await writeFile(file, "not json\n");
    expect(() => createReplayProvider(file)).toThrow(`${file}:1: not JSON`);
    expect(() => createReplayProvider(join(dir, "missing.jsonl"))).toThrow(/cannot read the recording/);
  });
});
