/**
 * The conformance suite (test/helpers/conformance-suite.ts) on every registered backend, in
 * every isolation mode it offers.
 */
import { randomBytes } from "node:crypto";
import { describe } from "vitest";
import { BACKEND_NAMES, sandboxBackend } from "../../src/sandbox/backends.js";
import { conformanceSuite, type ConformanceCase } from "../helpers/conformance-suite.js";

/** Every registered backend, in every isolation mode it offers. */
const backends: ConformanceCase[] = BACKEND_NAMES.flatMap((name) => {
  const backend = sandboxBackend(name);
  return backend.isolations.map((isolation): ConformanceCase => {
    const labels = { "verdict.test": `conformance-${name}-${isolation}-${randomBytes(3).toString("hex")}` };
    return {
      name: `${name} ${isolation}${backend.isolated ? "" : " (no isolation)"}`,
      backend,
      isolation,
      async make(more = labels) {
        const image = await backend.prepareImage();
        // One worker: "the next job in the same sandbox" is then the same container in pool mode.
        return backend.open({ image: image.tag, isolation, workers: 1, memoryMb: 512, cpus: 1, pidsLimit: 64, tmpfsMb: 64, hashSeed: 0, labels: more });
      },
    };
  });
});

describe.each(backends)("sandbox conformance: $name", conformanceSuite);
