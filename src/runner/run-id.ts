import { randomBytes } from "node:crypto";

/** A sortable, readable run id: `20261127-131502-mbpp-plus-3f9a`. */
export function newRunId(benchmark: string): string {
  const d = new Date();
  const pad = (n: number) => String(n).padStart(2, "0");
  const stamp = `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}-${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
  const name = benchmark.replace(/[^A-Za-z0-9_-]+/g, "_").slice(-40);
  return `${stamp}-${name}-${randomBytes(2).toString("hex")}`;
}
