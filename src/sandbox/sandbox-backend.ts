/**
 * The contract every sandbox backend keeps (backends.ts is the registry of them): checked engine,
 * image present, pools opened, orphans removed. A type of its own so the registry and the
 * backends it lists (engines-backend.ts) both depend on it, not on each other.
 */
import type Docker from "dockerode";
import type { Isolation, SandboxInfo, SandboxOptions, SandboxPool } from "../core/sandbox.js";
import type { EngineEndpoint } from "./engine-endpoint.js";

/** The name of a registered backend (backends.ts). */
export type BackendName = "docker" | "engines" | "host";

/** What a backend's pool is opened with: the shared options plus the notes and waits a pool may take. */
export interface BackendPoolOptions extends SandboxOptions {
  /** How long jobs wait for an engine that went away (a restart) before the pool gives up. */
  engineWaitSeconds?: number;
  log?: (line: string) => void;
}

/** The image a backend's pools run, as a manifest records it. */
export interface BackendImage {
  tag: string;
  id: string;
}

/** One kind of sandbox (see the module comment). */
export interface SandboxBackend {
  /** The registry name (`docker`, `host`). */
  readonly name: BackendName;
  /** Whether it contains what it runs; only an isolated backend may judge programs. */
  readonly isolated: boolean;
  /** The isolation modes its pools offer. */
  readonly isolations: readonly Isolation[];
  /** Throws SetupError, saying how to start one, when its engine does not answer (or lacks the runtime asked for). */
  check(): Promise<void>;
  /** Makes the image present (building it on first use) and names it. */
  prepareImage(log?: (line: string) => void): Promise<BackendImage>;
  /** The SandboxInfo of a pool opened with these options (known before the pool starts). */
  describe(image: BackendImage, options: Pick<SandboxOptions, "isolation" | "workers" | "hashSeed">): SandboxInfo;
  open(options: BackendPoolOptions): Promise<SandboxPool>;
  /** Removes every sandbox carrying all these labels (what a killed process left); returns how many. */
  pruneOrphans(labels: Record<string, string>): Promise<number>;
}

/** What a backend is made with. */
export interface BackendOptions {
  /** The Docker engine (default: DOCKER_HOST, else the local socket). */
  docker?: Docker;
  /** The `engines` backend's engines (default: VERDICT_ENGINES, else the engine DOCKER_HOST names). */
  engines?: readonly EngineEndpoint[];
  /** The OCI runtime of every container (`runsc`: gVisor), checked against each engine; default: the engine's own. */
  runtime?: string;
  /** The host backend's runner script (default: the recipe's runner.py). */
  runnerPath?: string;
}
