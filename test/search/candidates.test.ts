import { describe, expect, it } from "vitest";
import { childrenFromCandidates } from "../../src/search/candidates.js";
import { sha256 } from "../../src/util/hash.js";
import { codeStep, pseudoStep } from "../helpers/search-doubles.js";

describe("children from candidates", () => {
  it("cleans steps, drops empty ones and merges identical texts, counting the samples", () => {
    const children = childrenFromCandidates(
      [{ text: pseudoStep("A") }, { text: "   " }, { text: `### Step 2: ${pseudoStep("A").trim()}<Step_End>more` }, { text: pseudoStep("B") }, { text: "<Step_End>" }],
      2,
      5,
    );
    expect(children.map((c) => [c.step.split(" ")[0], c.samples])).toEqual([
      ["A", 2],
      ["B", 1],
    ]);
    expect(children[0]).toMatchObject({ action: 2, terminal: null, programSha256: null, prior: null, logprob: null });
  });

  it("makes a step with a python fence terminal, with the sha256 of its program, at any depth", () => {
    const [child] = childrenFromCandidates([{ text: codeStep("C", 1, 2) }], 1, 5);
    expect(child).toMatchObject({ terminal: "code", action: 3, programSha256: sha256('# score 1/2\ndef f():\n    return "C"\n') });
  });

  it("makes a step without code terminal at the depth limit", () => {
    expect(childrenFromCandidates([{ text: pseudoStep("A") }], 5, 5)[0]?.terminal).toBe("depth_limit");
    expect(childrenFromCandidates([{ text: pseudoStep("A") }], 4, 5)[0]?.terminal).toBeNull();
    expect(childrenFromCandidates([{ text: codeStep("C", 0, 1) }], 5, 5)[0]?.terminal).toBe("code");
  });

  it("turns mean token logprobs into priors normalised over siblings, duplicates adding up", () => {
    const children = childrenFromCandidates(
      [
        { text: pseudoStep("A"), meanLogprob: Math.log(0.2) },
        { text: pseudoStep("B"), meanLogprob: Math.log(0.5) },
        { text: pseudoStep("A"), meanLogprob: Math.log(0.3) },
      ],
      1,
      5,
    );
    // A: 0.2 + 0.3 = 0.5 of 1.0; B: 0.5 of 1.0. A keeps its first sample's logprob.
    expect(children.map((c) => c.prior)).toEqual([expect.closeTo(0.5, 12), expect.closeTo(0.5, 12)]);
    expect(children[0]?.logprob).toBeCloseTo(Math.log(0.2), 12);
    const skewed = childrenFromCandidates(
      [
        { text: pseudoStep("A"), meanLogprob: -0.1 },
        { text: pseudoStep("B"), meanLogprob: -2 },
      ],
      1,
      5,
    );
    const za = Math.exp(-0.1);
    const zb = Math.exp(-2);
    expect(skewed.map((c) => c.prior)).toEqual([expect.closeTo(za / (za + zb), 12), expect.closeTo(zb / (za + zb), 12)]);
  });

  it("gives no priors unless every candidate has a logprob", () => {
    const children = childrenFromCandidates(
      [
        { text: pseudoStep("A"), meanLogprob: -0.1 },
        { text: pseudoStep("B"), meanLogprob: null },
      ],
      1,
      5,
    );
    expect(children.map((c) => [c.prior, c.logprob])).toEqual([
      [null, null],
      [null, null],
    ]);
  });
});
