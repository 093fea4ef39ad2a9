#!/usr/bin/env node
// Entry point: runs the compiled CLI (npm ci builds it through the `prepare` script).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const main = new URL("../dist/cli/main.js", import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write("verdict: not built yet; run `npm ci` (or `npm run build`) in the project first\n");
  process.exit(2);
}
await import(main.href);
