import { describe, expect, it } from "vitest";
import { differences } from "../../src/pipelines/run-record.js";

/* `verdict run --resume` refusing a changed config names exactly which fields differ. */
describe("differences", () => {
  const then = { benchmark: "mbpp", limit: 2, styles: ["vanilla"], pass1: { n: 1, temperature: 0 }, models: [{ name: "a", model: "m1" }] };

  it("is empty for the same config, whatever the key order", () => {
    expect(differences(then, { models: [{ model: "m1", name: "a" }], pass1: { temperature: 0, n: 1 }, styles: ["vanilla"], limit: 2, benchmark: "mbpp" })).toEqual([]);
  });

  it("names each field that differs, with both values, down to the nested one", () => {
    const now = { ...then, limit: 3, styles: ["vanilla", "pseudocode"], pass1: { n: 1, temperature: 0.8 }, models: [{ name: "a", model: "m2" }] };
    expect(differences(then, now)).toEqual([
      "limit: 2 then, 3 now",
      'styles: ["vanilla"] then, ["vanilla","pseudocode"] now',
      "pass1.temperature: 0 then, 0.8 now",
      'models[0].model: "m1" then, "m2" now',
    ]);
  });

  it("says a field set on one side only is unset on the other", () => {
    expect(differences({ limit: 2 }, {})).toEqual(["limit: 2 then, unset now"]);
  });
});
