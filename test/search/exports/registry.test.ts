import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SEARCH_EXPORTS, writeExport, type ExportFormat } from "../../../src/search/exports/registry.js";
import { sha256 } from "../../../src/util/hash.js";
import { searchSmallTrees } from "../../helpers/search-doubles.js";

describe("export files", () => {
  it.each(Object.keys(SEARCH_EXPORTS) as ExportFormat[])("%s: a JSONL file and a manifest whose sha256 is the file's", async (format) => {
    const trees = await searchSmallTrees(["a", "b"]);
    const dir = mkdtempSync(join(tmpdir(), "verdict-export-"));
    try {
      const manifest = writeExport(dir, format, trees);
      const text = readFileSync(join(dir, `${format}.jsonl`), "utf8");
      const lines = text.split("\n").filter((l) => l !== "");
      expect(lines).toHaveLength(manifest.rows);
      expect(manifest.rows).toBeGreaterThan(0);
      expect(sha256(text)).toBe(manifest.sha256);
      expect(JSON.parse(readFileSync(join(dir, `${format}.manifest.json`), "utf8"))).toEqual({ ...manifest, file: `${format}.jsonl` });
      expect(manifest.tasks).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
