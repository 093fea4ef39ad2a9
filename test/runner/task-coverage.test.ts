import { describe, expect, it } from "vitest";
import { InputError, SetupError } from "../../src/core/errors.js";
import type { Sample } from "../../src/core/sample.js";
import { checkSamplesCover, missingVerdict, setAsideUnscorable } from "../../src/runner/task-coverage.js";

const sample = (taskId: string, sampleIndex = 0): Sample => ({ taskId, sampleIndex, program: `# ${taskId}` });
const IDS = Array.from({ length: 399 }, (_, i) => `Mbpp/${i + 2}`);

describe("checkSamplesCover", () => {
  const ten = { samples: IDS.slice(0, 10).map((id) => sample(id)), missing: IDS.slice(10), source: "/tmp/s.jsonl" };

  it("refuses a samples file that misses tasks, naming how many and the first ten, and the way out", () => {
    const err = (() => {
      try {
        checkSamplesCover(ten, 399, "error", [1]);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toBe(
      "/tmp/s.jsonl: 389 of the benchmark's 399 tasks have no sample (the first ten: Mbpp/12, Mbpp/13, Mbpp/14, Mbpp/15, Mbpp/16, Mbpp/17, Mbpp/18, Mbpp/19, Mbpp/20, Mbpp/21); " +
        "score them as failures with --missing fail (a submission), or score only the tasks that have samples, labelled partial, with --missing skip",
    );
  });

  it("lets --missing fail and --missing skip through", () => {
    expect(() => checkSamplesCover(ten, 399, "fail", [1])).not.toThrow();
    expect(() => checkSamplesCover(ten, 399, "skip", [1])).not.toThrow();
  });

  it("refuses a k above some task's sample count", () => {
    const uneven = { samples: [sample("a", 0), sample("a", 1), sample("b", 0)], missing: [], source: "f.jsonl" };
    expect(() => checkSamplesCover(uneven, 2, "error", [1, 2])).toThrow(/pass@2 needs at least 2 samples of every task, but 1 task\(s\) have fewer \(task b has 1\)/);
    expect(() => checkSamplesCover(uneven, 2, "error", [1])).not.toThrow();
  });
});

describe("setAsideUnscorable", () => {
  const samples = [sample("Mbpp/254"), sample("Mbpp/255"), sample("Mbpp/255", 1), sample("Mbpp/256")];
  const failures = [{ taskId: "Mbpp/255", test: "plus/86", why: "memory", handling: "left_out" as const }];

  it("stops the run before any candidate is judged, saying why and how to score the rest", () => {
    for (const policy of ["error", "fail"] as const) {
      expect(() => setAsideUnscorable(samples, ["Mbpp/255"], failures, policy)).toThrow(SetupError);
      expect(() => setAsideUnscorable(samples, ["Mbpp/255"], failures, policy)).toThrow(/Mbpp\/255.*too little memory.*use --missing skip\.$/s);
    }
  });

  it("with --missing skip, sets the unscorable task's samples aside", () => {
    expect(setAsideUnscorable(samples, ["Mbpp/255"], failures, "skip").map((s) => s.taskId)).toEqual(["Mbpp/254", "Mbpp/256"]);
    expect(setAsideUnscorable(samples, [], [], "error")).toEqual(samples);
  });
});

describe("missingVerdict", () => {
  it("is a failure with no program and no test, in every group", () => {
    expect(missingVerdict("Mbpp/9", ["base", "plus"])).toEqual({
      task_id: "Mbpp/9",
      sample_index: 0,
      status: "missing",
      base_status: "missing",
      plus_status: "missing",
      tests: [],
      weak: false,
      seconds: 0,
      cached: false,
      program_sha256: "",
    });
    expect(missingVerdict("9", ["test"])).not.toHaveProperty("base_status");
  });
});
