/**
 * Extra Docker engines for tests, started and removed by scripts/extra-dockerd.sh: a unix
 * socket engine, a TLS engine on a loopback port, and an engine behind a local sshd. Root only;
 * what is missing (sshd, openssl, runsc) is installed with scripts/ensure-docker.sh first.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { startLocalEngines, type LocalEngineName, type LocalEngines } from "../../src/sandbox/local-engines.js";

const ENSURE = fileURLToPath(new URL("../../scripts/ensure-docker.sh", import.meta.url));

/** The engines scripts/extra-dockerd.sh can start. */
export type ExtraEngineName = LocalEngineName;

/** Started engines and how to remove them (src/sandbox/local-engines.ts). */
export type ExtraEngines = LocalEngines;

/** What a test needs besides dockerd. */
export interface ExtraEngineNeeds {
  only?: readonly ExtraEngineName[];
  runsc?: boolean;
}

/**
 * Why extra engines cannot run here (a message for `describe.skipIf`), or undefined when they
 * can. As root, installs what is missing first.
 */
export function extraEnginesUnavailable(needs: ExtraEngineNeeds = {}): string | undefined {
  if (process.platform !== "linux") return "extra Docker engines need Linux";
  if (process.getuid?.() !== 0) return "extra Docker engines need root (they start dockerd and sshd); run the tests as root";
  if (!onPath("dockerd")) return "dockerd is not installed (scripts/ensure-docker.sh)";
  const only = needs.only ?? ["unix", "tls", "ssh"];
  const missing = () => [
    ...(only.includes("ssh") && !existsSync("/usr/sbin/sshd") ? ["sshd"] : []),
    ...(only.includes("tls") && !onPath("openssl") ? ["openssl"] : []),
    ...(needs.runsc && !onPath("runsc") ? ["runsc"] : []),
  ];
  if (missing().length > 0) {
    const flags = [...(missing().some((m) => m !== "runsc") ? ["--with-extra-engines"] : []), ...(needs.runsc ? ["--with-runsc"] : [])];
    try {
      execFileSync("bash", [ENSURE, ...flags], { stdio: ["ignore", "ignore", "inherit"], timeout: 300_000 });
    } catch (err) {
      return `cannot install ${missing().join(", ")}: ${(err as Error).message}`;
    }
  }
  const still = missing();
  return still.length > 0 ? `${still.join(", ")} missing after scripts/ensure-docker.sh` : undefined;
}

/** Starts the engines (all three by default); see src/sandbox/local-engines.ts. */
export const startExtraEngines = startLocalEngines;

function onPath(name: string): boolean {
  const dirs = [...(process.env.PATH ?? "").split(":"), "/usr/local/sbin", "/usr/sbin", "/sbin"];
  return dirs.some((d) => d !== "" && existsSync(`${d}/${name}`));
}
