import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // Sandbox tests share one Docker engine and two cores: run files one at a time.
    fileParallelism: false,
    reporters: ["default"],
  },
});
