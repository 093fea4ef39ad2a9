/**
 * The conformance suite (test/helpers/conformance-suite.ts) on every registered backend, in
 * every isolation mode it offers.
 */
import { randomBytes } from "node:crypto";
import { describe } from "vitest";
import { BACKEND_NAMES, sandboxBackend, type BackendName, type BackendOptions } from "../../src/sandbox/backends.js";
import { defaultEngineEndpoint } from "../../src/sandbox/engine-endpoint.js";
import { conformanceSuite, type ConformanceCase } from "../helpers/conformance-suite.js";

/**
 * What each backend is made with here: the `engines` backend over the default engine alone, with
 * one worker (test/sandbox/engine-pool.test.ts runs the suite over three engines).
 */
const made = (name: BackendName): BackendOptions => (name === "engines" ? { engines: [{ ...defaultEngineEndpoint(), workers: 1 }] } : {});

/** Every registered backend, in every isolation mode it offers. */
const backends: ConformanceCase[] = BACKEND_NAMES.flatMap((name) => {
  const backend = sandboxBackend(name, made(name));
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
