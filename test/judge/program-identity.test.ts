import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { programBytes, programDigest } from "../../src/judge/program-identity.js";
import { sha256 } from "../../src/util/hash.js";

describe("programDigest", () => {
  it("is the sha256 of a well-formed program's UTF-8, as before", () => {
    for (const program of ["def f(x):\n    return x\n", "s = 'héllo \u{1F600}'\n", ""]) {
      expect(programDigest(program)).toBe(sha256(Buffer.from(program, "utf8")));
    }
  });

  it("gives two programs that differ only in a lone surrogate and U+FFFD two identities", () => {
    expect(programDigest("# \ud800\n")).not.toBe(programDigest("# \ufffd\n"));
    expect(programDigest("# \udc00\n")).not.toBe(programDigest("# \ud800\n"));
  });

  it("hashes exactly what Python receives: str.encode('utf-8', 'surrogatepass') of the same text", () => {
    const programs = ["# \ud800\nx = 1\n", "a\udfffb\ud83d\ude00c\ud83d", "\ud83d\ude00"];
    // JSON carries the text to Python as the job frame does.
    const python = JSON.parse(
      execFileSync(
        "python3",
        ["-c", "import hashlib, json, sys\nprint(json.dumps([hashlib.sha256(p.encode('utf-8', 'surrogatepass')).hexdigest() for p in json.load(sys.stdin)]))"],
        { input: JSON.stringify(programs), encoding: "utf8" },
      ),
    ) as string[];
    expect(programs.map(programDigest)).toEqual(python);
    expect(programBytes("\ud800")).toEqual(Buffer.from([0xed, 0xa0, 0x80]));
  });
});
