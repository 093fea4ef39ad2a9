import type { JobLimits } from "../core/job.js";
import type { Task } from "../core/task.js";
import { sha256 } from "../util/hash.js";

/**
 * What makes two judgements the same work: the program, the tests with their expected values
 * (and the task's setup and memory), the limits, the image, the hash seed, the code that
 * decides verdicts, and whether every test runs. Equal keys are judged once: in a session's
 * memo, and across sessions in the verdict cache (which keeps the key format it always had
 * for first-failure judgements, so caches made before stay valid).
 */

/** The part of the key every judgement of a session shares. */
export interface SessionKeyParts {
  limits: JobLimits;
  hashSeed: number;
  imageId: string;
  judgeDigest: string;
  /** The OCI runtime: part of the key only when it is not runc, so keys made before it was recorded stay valid. */
  runtime?: string;
}

/** JSON.stringify replacer for hashing: ints (bigint) stay distinct from floats. */
export function hashReplacer(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? { int: value.toString() } : value;
}

/** sha256 of what a task judges a program with: setup, memory and tests with their expectations. */
export function testsDigest(task: Pick<Task, "setup" | "memoryMb" | "tests">): string {
  // How a limit was derived is said in reports, never judged: only the limit (`seconds`) is part of the work.
  const tests = task.tests.map(({ calibration: _c, ...t }) => t);
  return sha256(JSON.stringify({ setup: task.setup, mem: task.memoryMb ?? 0, tests }, hashReplacer));
}

/** The session-wide part of every key. */
export function sessionKeyPart(parts: SessionKeyParts): string {
  const runtime = parts.runtime !== undefined && parts.runtime !== "runc" ? { runtime: parts.runtime } : {};
  return JSON.stringify({ limits: parts.limits, seed: parts.hashSeed, image: parts.imageId, judge: parts.judgeDigest, ...runtime });
}

/** The key of one judgement: a program digest, a tests digest, the session part and the mode. */
export function judgementKey(programSha256: string, testsDigest: string, sessionPart: string, allTests: boolean): string {
  return sha256(`${programSha256}\n${testsDigest}\n${sessionPart}${allTests ? "\nall-tests" : ""}`);
}
