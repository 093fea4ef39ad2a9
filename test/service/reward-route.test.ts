import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { post, REFERENCE, type RunningService, sessionForFile, startService } from "../helpers/judge-service.js";

const fileSession = sessionForFile();

let binary: RunningService;
let fraction: RunningService;

beforeAll(async () => {
  binary = await startService(fileSession().session);
  fraction = await startService(fileSession().session, { reward: { mode: "fraction", alpha: 0.2 } });
}, 240_000);

afterAll(async () => {
  await binary?.server.close();
  await fraction?.server.close();
});

const PROMPT = "Write a function that returns the perimeter of a square.\n";
/** query = prompt + response, as OpenRLHF sends it. */
const queries = [
  `${PROMPT}Here it is:\n\`\`\`python\n${REFERENCE["17"]}\`\`\`\nDone.`,
  `${PROMPT}\`\`\`python\ndef square_perimeter(a):\n    return 4 * a if a != 5 else 21\n\`\`\``,
  `${PROMPT}\`\`\`python\ndef square_perimeter(a)\n    return 4 * a\n\`\`\``,
  `${PROMPT}I cannot help with that.`,
  `${PROMPT}[BEGIN]\n${REFERENCE["11"]}[DONE]`,
];
const body = {
  query: queries,
  prompts: queries.map(() => PROMPT),
  labels: ["17", "Mbpp/17", "17", "17", JSON.stringify({ task_id: 11, text: "", code: REFERENCE["11"], test_list: ['assert remove_Occ("hello","l") == "heo"'], test_setup_code: "" })],
};

describe("POST /get_reward (OpenRLHF --remote_rm_url)", () => {
  it("answers {rewards, scores, extra_logs}: pass = 1 else 0 by default, code extracted from each response", async () => {
    const r = await post(`${binary.url}/get_reward`, body);
    expect(r.status).toBe(200);
    expect(Object.keys(r.json).sort()).toEqual(["extra_logs", "rewards", "scores"]);
    expect(r.json.rewards).toEqual([1, 0, 0, 0, 1]);
    expect(r.json.scores).toEqual([1, 0, 0, 0, 1]);
    expect(r.json.extra_logs).toEqual({
      pass: [1, 0, 0, 0, 1],
      // A wrong answer ends no process, so the tests after it still run and count.
      passed: [3, 2, 0, 0, 1],
      total: [3, 3, 3, 3, 1],
      compiles: [1, 1, 0, 0, 1],
    });
  });

  it("scores α·compiles + (1 − α)·passed/total over every test when configured", async () => {
    const r = await post(`${fraction.url}/get_reward`, body);
    expect(r.status).toBe(200);
    const want = [0.2 + 0.8, 0.2 + 0.8 * (2 / 3), 0, 0, 0.2 + 0.8];
    r.json.rewards.forEach((x: number, i: number) => expect(x).toBeCloseTo(want[i] ?? NaN, 12));
    expect(r.json.scores).toEqual([1, 0, 0, 0, 1]);
    expect(r.json.extra_logs.passed).toEqual([3, 2, 0, 0, 1]);
  });

  it("works without prompts (an older OpenRLHF sends query alone with labels)", async () => {
    const r = await post(`${binary.url}/get_reward`, { query: [REFERENCE["12"]], labels: [12] });
    expect(r.json.rewards).toEqual([1]);
  });

  it.each([
    ["labels missing", { query: ["x"] }, /labels/],
    ["labels shorter than query", { query: ["x", "y"], labels: ["17"] }, /labels has 1 items but query has 2/],
    ["an unknown task label", { query: ["x"], labels: ["Mbpp/99999"] }, /labels\.0: unknown task/],
    ["a label that is broken JSON", { query: ["x"], labels: ["{task_id: 1"] }, /labels\.0: looks like a task object but is not JSON/],
  ])("answers %s with 400", async (_what, b, message) => {
    const r = await post(`${binary.url}/get_reward`, b);
    expect(r.status).toBe(400);
    expect(r.json.error.message).toMatch(message);
  });
});
