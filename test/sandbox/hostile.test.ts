/**
 * The hostile-program suite (test/helpers/hostile-suite.ts) on the Docker backend, in both
 * isolation modes.
 */
import { describe } from "vitest";
import type { Isolation } from "../../src/core/sandbox.js";
import { hostileSuite } from "../helpers/hostile-suite.js";

describe.each<Isolation>(["pool", "fresh"])("hostile programs (%s)", (isolation) => hostileSuite({ isolation }));
