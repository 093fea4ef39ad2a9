import { it } from "vitest";
import { runGenerationBench } from "../../src/runner/bench-generation.js";
it("bench", async () => {
  const r = await runGenerationBench({ workers: 2, tasks: 200, requests: 2000, repeat: 3, dataDir: "/work/shared/data" });
  process.stdout.write(JSON.stringify(r) + "\n");
}, 900_000);
