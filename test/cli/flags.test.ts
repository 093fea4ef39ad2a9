import { InvalidArgumentError } from "commander";
import { describe, expect, it } from "vitest";
import { countSchema, schemaFlag } from "../../src/cli/flags.js";
import { sandboxSchema } from "../../src/pipelines/run-config.js";

describe("flags parsed by the configs' schemas", () => {
  it("accept what the config field accepts, and name the flag when they refuse", () => {
    const timeout = schemaFlag("--timeout", sandboxSchema.shape.timeout_s.unwrap());
    expect(timeout("2.5")).toBe(2.5);
    for (const bad of ["0", "-1", "soon", ""]) expect(() => timeout(bad)).toThrow(InvalidArgumentError);
    expect(() => timeout("soon")).toThrow(/^--timeout: .*got "soon"$/);
    const memory = schemaFlag("--memory", sandboxSchema.shape.memory_mb.unwrap());
    expect(memory("512")).toBe(512);
    expect(() => memory("1.5")).toThrow(/--memory/);
    expect(schemaFlag("--jobs", countSchema())("10")).toBe(10);
    expect(() => schemaFlag("--jobs", countSchema())("0")).toThrow(InvalidArgumentError);
  });
});
