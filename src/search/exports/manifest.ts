import { toJsonl } from "../../training/trl-rows.js";
import { sha256 } from "../../util/hash.js";
import type { TreeSummary } from "../tree-summary.js";

/** What an export file holds and how it was made; written beside it. */
export interface ExportManifest {
  format: string;
  /** Who reads the file as it is, and with which options. */
  reader: string;
  rows: number;
  /** Trees read, and trees that gave at least one row. */
  tasks: number;
  tasks_with_rows: number;
  /** The thresholds and options the rows were made with. */
  options: Record<string, unknown>;
  /** Rows left out, by reason. */
  skipped: Record<string, number>;
  /** The search identities the trees came from (one, unless runs were merged). */
  identity_sha256: string[];
  /** sha256 of the JSONL text (`toJsonl(rows)`). */
  sha256: string;
}

export { toJsonl } from "../../training/trl-rows.js";

/** An export's rows and manifest. */
export interface ExportResult<Row extends object> {
  rows: Row[];
  manifest: ExportManifest;
}

/** Assembles an export from rows grouped by task. */
export function finishExport<Row extends object>(
  format: string,
  reader: string,
  trees: readonly TreeSummary[],
  rowsByTask: readonly Row[][],
  options: Record<string, unknown>,
  skipped: Record<string, number> = {},
): ExportResult<Row> {
  const rows = rowsByTask.flat();
  return {
    rows,
    manifest: {
      format,
      reader,
      rows: rows.length,
      tasks: trees.length,
      tasks_with_rows: rowsByTask.filter((r) => r.length > 0).length,
      options,
      skipped,
      identity_sha256: [...new Set(trees.map((t) => t.identity_sha256))].sort(),
      sha256: sha256(toJsonl(rows)),
    },
  };
}
