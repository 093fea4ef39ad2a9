import { describe, expect, it } from "vitest";
import { parseSelfplayConfigText } from "../../src/pipelines/selfplay-config.js";

const base = ["rounds: 2", "checkpoint: ./ckpt/start", 'policy: {name: policy, base_url: "http://127.0.0.1:8001/v1", model: policy}', 'trainer: {command: "train {checkpoint_in}"}'];

describe("the selfplay config", () => {
  it("fills the defaults (static serving, MBPP train searched, test evaluated, DPO/PRM/SFT exports) and resolves paths from the file's folder", () => {
    const cfg = parseSelfplayConfigText([...base, "out: runs"].join("\n"), "/cfg/selfplay.yaml");
    expect(cfg).toMatchObject({
      rounds: 2,
      checkpoint: "/cfg/ckpt/start",
      out: "/cfg/runs",
      serve: { mode: "static" },
      search: { split: "train", settings: { rollouts: 15, max_depth: 5 } },
      export: { formats: ["sft", "dpo", "prm"], margin: 0.5 },
      evaluate: { split: "test", styles: ["vanilla"], pass1: { n: 1 } },
    });
    expect(cfg.tcg).toBeUndefined();
    // A hub name stays a name.
    expect(parseSelfplayConfigText([...base.map((l) => l.replace("./ckpt/start", "Qwen/Qwen2.5-1.5B"))].join("\n"), "/cfg/s.yaml").checkpoint).toBe("Qwen/Qwen2.5-1.5B");
  });

  it("names the field and its line of a bad serve section or an unknown field", () => {
    expect(() => parseSelfplayConfigText([...base, "serve: {mode: restart, command: vllm}"].join("\n"), "s.yaml")).toThrow(/serve\.health_url \(line 5\)/);
    expect(() => parseSelfplayConfigText([...base, "serve: {mode: reload}"].join("\n"), "s.yaml")).toThrow(/serve\.mode \(line 5\)/);
    expect(() => parseSelfplayConfigText([...base, "search: {limt: 3}"].join("\n"), "s.yaml")).toThrow(/search\.limt \(line 5\): unknown field/);
    expect(() => parseSelfplayConfigText(base.slice(1).join("\n"), "s.yaml")).toThrow(/rounds .*expected number/);
    expect(() => parseSelfplayConfigText([...base, "evaluate: {aspr: {definition: D}}"].join("\n"), "s.yaml")).toThrow(/evaluate\.aspr\.definition \(line 5\): the evaluation samples ASPR/);
    expect(() => parseSelfplayConfigText([...base, "evaluate: {pass1: {n: 4}, ci: {method: wilson}}"].join("\n"), "s.yaml")).toThrow(/evaluate\.ci\.method/);
  });
});
