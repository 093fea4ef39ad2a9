import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { InputError } from "../../src/core/errors.js";
import { bearerMatches, loadToken } from "../../src/service/auth.js";
import { isLoopback } from "../../src/service/service-options.js";

describe("bearerMatches", () => {
  it.each([
    ["Bearer tok", true],
    ["bearer tok", true],
    ["Bearer  tok ", true],
    ["Bearer tok2", false],
    ["Bearer to", false],
    ["Bearer ", false],
    ["Basic tok", false],
    ["tok", false],
    [undefined, false],
  ])("%j → %s", (header, ok) => {
    expect(bearerMatches(header, "tok")).toBe(ok);
  });
});

describe("loadToken", () => {
  const dir = mkdtempSync(join(tmpdir(), "verdict-token-"));
  it("reads the first line of a file, else the variable, else nothing", () => {
    const file = join(dir, "t");
    writeFileSync(file, "abc123\nignored\n");
    expect(loadToken({ file, env: "T", environment: { T: "env" } })).toBe("abc123");
    expect(loadToken({ env: "T", environment: { T: " env " } })).toBe("env");
    expect(loadToken({ env: "T", environment: {} })).toBeUndefined();
  });
  it("refuses an empty file, an empty variable and a missing file", () => {
    const empty = join(dir, "empty");
    writeFileSync(empty, "\n");
    expect(() => loadToken({ file: empty, env: "T" })).toThrow(/token file is empty/);
    expect(() => loadToken({ env: "T", environment: { T: "" } })).toThrow(/T is set but empty/);
    expect(() => loadToken({ file: join(dir, "none"), env: "T" })).toThrow(InputError);
  });
});

describe("isLoopback", () => {
  it.each([["127.0.0.1", true], ["127.1.2.3", true], ["::1", true], ["[::1]", true], ["localhost", true], ["0.0.0.0", false], ["::", false], ["10.0.0.1", false]])("%s → %s", (h, ok) => {
    expect(isLoopback(h)).toBe(ok);
  });
});
