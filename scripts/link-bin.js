// Links the project's CLI into node_modules/.bin, so `npx verdict …` works right after
// `npm ci` in a clone. package.json deliberately has no "bin" field: npm 11 answers
// `npx <the root package's own bin>` by installing the project into its npx cache, which
// fails; a plain link in node_modules/.bin is found first and simply runs.
import { mkdirSync, rmSync, symlinkSync } from "node:fs";

mkdirSync("node_modules/.bin", { recursive: true });
rmSync("node_modules/.bin/verdict", { force: true });
symlinkSync("../../bin/verdict.js", "node_modules/.bin/verdict");
