import { join } from "node:path";
import type { TreeSummary } from "../tree-summary.js";
import { dpoExport } from "./dpo.js";
import { toJsonl, writeWhole } from "../../training/trl-rows.js";
import type { ExportManifest, ExportResult } from "./manifest.js";
import { openRlhfPrmExport } from "./openrlhf-prm.js";
import { sftExport } from "./sft.js";
import { trlPrmExport } from "./trl-prm.js";

/** Options of every export format (each reads the ones it needs). */
export interface ExportOptions {
  /** DPO: least value difference of a pair (default 0.5). */
  margin?: number;
  /** DPO: least visits of a step whose value counts (default 1). */
  minVisits?: number;
  /** TRL PRM: a step is labelled true when its value is at least this (default 0.5). */
  threshold?: number;
  /** OpenRLHF PRM: the placeholder token (default ки). */
  placeholder?: string;
}

/** The export formats of a search run, by name. */
export const SEARCH_EXPORTS = {
  sft: (trees) => sftExport(trees),
  dpo: (trees, o) => dpoExport(trees, { margin: o.margin, minVisits: o.minVisits }),
  prm: (trees, o) => trlPrmExport(trees, { threshold: o.threshold }),
  "openrlhf-prm": (trees, o) => openRlhfPrmExport(trees, { placeholder: o.placeholder }),
} satisfies Record<string, (trees: readonly TreeSummary[], options: ExportOptions) => ExportResult<object>>;

/** The name of an export format. */
export type ExportFormat = keyof typeof SEARCH_EXPORTS;

/** Writes `<format>.jsonl` and `<format>.manifest.json` into a folder (each whole or not at all); returns the manifest. */
export function writeExport(outDir: string, format: ExportFormat, trees: readonly TreeSummary[], options: ExportOptions = {}): ExportManifest {
  const { rows, manifest } = SEARCH_EXPORTS[format](trees, options);
  const write = (name: string, text: string): void => writeWhole(join(outDir, name), text);
  write(`${format}.jsonl`, toJsonl(rows));
  write(`${format}.manifest.json`, `${JSON.stringify({ ...manifest, file: `${format}.jsonl` }, null, 2)}\n`);
  return manifest;
}
