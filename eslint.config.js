import js from "@eslint/js";
import tseslint from "typescript-eslint";


/**
 * The layers of src/ (docs/ARCHITECTURE.md, "Layers"): each folder may import only the folders
 * listed for it; anything else is an error, so an arrow that runs back up fails `npm test`.
 */
const LAYERS = {
  core: [],
  util: ["core"],
  sandbox: ["core", "util"],
  judge: ["core", "util"],
  models: ["core", "util"],
  prompts: ["core", "util"],
  metrics: ["core", "util"],
  training: ["core", "util"],
  benchmarks: ["core", "util", "judge"],
  runner: ["core", "util", "sandbox", "judge", "benchmarks", "prompts", "metrics"],
  session: ["core", "util", "sandbox", "judge", "benchmarks", "runner"],
  tcg: ["core", "util", "sandbox", "judge", "benchmarks", "prompts", "metrics", "models", "training"],
  search: ["core", "util", "judge", "metrics", "models", "prompts", "training"],
  selfplay: ["core", "util", "metrics"],
  service: ["core", "util", "judge", "benchmarks", "prompts", "metrics", "tcg", "search"],
  pipelines: ["core", "util", "sandbox", "judge", "benchmarks", "models", "prompts", "metrics", "training", "runner", "session", "tcg", "search", "service", "selfplay"],
  report: ["core", "util", "judge", "benchmarks", "metrics", "training", "runner", "pipelines", "selfplay"],
  // cli: everything (it only parses flags and calls the layers below).
  cli: [],
};
const FOLDERS = Object.keys(LAYERS).filter((f) => f !== "cli");

/** One config block per layer: relative imports into a folder it may not use are refused. */
const layerRules = FOLDERS.map((folder) => {
  const forbidden = FOLDERS.filter((f) => f !== folder && !LAYERS[folder].includes(f)).concat("cli");
  return {
    files: [`src/${folder}/**/*.ts`],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              regex: `^(\\.\\./)+(${forbidden.join("|")})/`,
              message: `src/${folder} may import only ${LAYERS[folder].join(", ") || "nothing"} (the layer table in docs/ARCHITECTURE.md)`,
            },
          ],
        },
      ],
    },
  };
});

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "results/", "coverage/", ".cache/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-constant-condition": ["error", { checkLoops: false }],
    },
  },
  ...layerRules,
  {
    files: ["bin/**/*.js", "scripts/**/*.js"],
    languageOptions: { globals: { process: "readonly", console: "readonly", URL: "readonly" } },
  },
);
