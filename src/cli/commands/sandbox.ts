import type { Command } from "commander";
import type Docker from "dockerode";
import { connectEngine, type ConnectedEngine } from "../../sandbox/engine-connect.js";
import { assertEngine, connectDocker, engineAddress } from "../../sandbox/engine.js";
import { enginesBackend } from "../../sandbox/engines-backend.js";
import { ensureImage, imageStatus, MANAGED_LABEL, pruneSandbox, RECIPE_DIR } from "../../sandbox/image.js";
import type { ImageSummary } from "../../sandbox/image.js";
import { addPlacementFlags, placementOf, type PlacementFlags } from "../flags.js";

/** Adds `verdict sandbox build|status|prune` to the program. */
export function registerSandboxCommands(program: Command): void {
  const sandbox = program.command("sandbox").description("build, inspect and clean up the Python sandbox image (on every engine of --engines)");

  addPlacementFlags(
    sandbox
      .command("build")
      .description("build the sandbox image for the current recipe (sandbox-images/python/) unless it exists; with --engines, build it on the first engine that lacks it and copy it to the rest")
      .option("--rebuild", "build even if the image exists, from a fresh Debian base"),
  ).action(async (opts: { rebuild?: boolean } & PlacementFlags) => {
    const log = (line: string): void => void process.stderr.write(`  ${line}\n`);
    const started = Date.now();
    const { engines } = placementOf(opts);
    if (engines !== undefined && opts.rebuild !== true) {
      const backend = enginesBackend({ endpoints: engines });
      await backend.check();
      const image = await backend.prepareImage(log);
      process.stdout.write(`${image.tag}  ${image.id}  (on ${engines.length} engine(s) in ${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
      return;
    }
    const docker = connectDocker();
    await assertEngine(docker);
    const image = await ensureImage(docker, { rebuild: opts.rebuild === true, log });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const how = image.built ? `built in ${seconds} s` : "already present";
    process.stdout.write(`${image.tag}  ${image.id}  (${how})\n`);
  });

  addPlacementFlags(
    sandbox
      .command("status")
      .description("show each engine, the current image on it and stale images or containers")
      .option("--json", "print one JSON object"),
  ).action(async (opts: { json?: boolean } & PlacementFlags) => {
    const { engines } = placementOf(opts);
    if (engines === undefined) {
      const docker = connectDocker();
      await assertEngine(docker);
      const one = await engineStatus(docker, engineAddress(docker));
      if (opts.json) process.stdout.write(`${JSON.stringify({ ...one, recipeDir: RECIPE_DIR }, null, 2)}\n`);
      else process.stdout.write(`${statusLines(one).join("\n")}\n`);
      return;
    }
    const reached = await reachEngines(engines);
    const all = await Promise.all(reached.map(async (r) => (r.engine ? await engineStatus(r.engine.docker, r.label) : { label: r.label, error: r.error })));
    if (opts.json) process.stdout.write(`${JSON.stringify({ recipeDir: RECIPE_DIR, engines: all }, null, 2)}\n`);
    else process.stdout.write(`${all.flatMap((s) => ("error" in s ? [`engine      ${s.label}: ${s.error}`] : statusLines(s))).join("\n")}\n`);
    if (all.some((s) => "error" in s)) process.exitCode = 1;
  });

  addPlacementFlags(
    sandbox
      .command("prune")
      .description(`remove every container labelled ${MANAGED_LABEL}=1 (running ones too: stop runs first), on every engine of --engines`)
      .option("--images", "also remove every sandbox image except the current recipe's"),
  ).action(async (opts: { images?: boolean } & PlacementFlags) => {
    const { engines } = placementOf(opts);
    const targets = engines === undefined ? [{ label: "", docker: connectDocker() as Docker | undefined, error: undefined as string | undefined }] : (await reachEngines(engines)).map((r) => ({ label: r.label, docker: r.engine?.docker, error: r.error }));
    for (const t of targets) {
      const prefix = t.label === "" ? "" : `${t.label}: `;
      if (t.docker === undefined) {
        process.stderr.write(`${prefix}${t.error ?? "unreachable"}\n`);
        process.exitCode = 1;
        continue;
      }
      if (t.label === "") await assertEngine(t.docker);
      const result = await pruneSandbox(t.docker, { images: opts.images === true });
      const parts = [`removed ${result.containers} container(s)`];
      if (opts.images) parts.push(`${result.images} image(s)`);
      process.stdout.write(`${prefix}${parts.join(", ")}\n`);
      for (const failure of result.failures) process.stderr.write(`  ${prefix}could not remove ${failure}\n`);
      if (result.failures.length > 0) process.exitCode = 1;
    }
  });
}

/** Each engine of a list, connected, or why not (status and prune report every engine they can reach). */
async function reachEngines(endpoints: NonNullable<ReturnType<typeof placementOf>["engines"]>): Promise<{ label: string; engine?: ConnectedEngine; error?: string }[]> {
  const settled = await Promise.allSettled(endpoints.map((ep) => connectEngine(ep)));
  return settled.map((s, i) => (s.status === "fulfilled" ? { label: endpoints[i]!.label, engine: s.value } : { label: endpoints[i]!.label, error: (s.reason as Error).message }));
}

/** What `sandbox status` says of one engine. */
async function engineStatus(docker: Docker, label: string) {
  const [version, info, status, containers] = await Promise.all([
    docker.version(),
    docker.info() as Promise<{ Runtimes?: Record<string, unknown>; DefaultRuntime?: string }>,
    imageStatus(docker),
    docker.listContainers({ all: true, filters: { label: [`${MANAGED_LABEL}=1`] } }),
  ]);
  return {
    label,
    engine: { address: engineAddress(docker), version: version.Version, apiVersion: version.ApiVersion, runtimes: Object.keys(info.Runtimes ?? {}).sort(), defaultRuntime: info.DefaultRuntime ?? "runc" },
    ...status,
    containers: { total: containers.length, running: containers.filter((c) => c.State === "running").length },
  };
}

/** The human lines of one engine's status. */
function statusLines(s: Awaited<ReturnType<typeof engineStatus>>): string[] {
  const lines = [
    `engine      ${s.label} (Docker ${s.engine.version}, API ${s.engine.apiVersion}; runtimes ${s.engine.runtimes.join(", ")}, default ${s.engine.defaultRuntime})`,
    `recipe      ${RECIPE_DIR} (hash ${s.recipe})`,
    s.current ? `image       ${describe(s.current)}` : `image       ${s.tag} not built; run: verdict sandbox build`,
  ];
  if (s.others.length > 0) {
    lines.push(`stale       ${s.others.length} other image(s); verdict sandbox prune --images removes them`);
    for (const other of s.others) lines.push(`            ${describe(other)}`);
  }
  lines.push(`containers  ${s.containers.total} managed, ${s.containers.running} running`);
  return lines;
}

/** One line about an image: tag, short id, size, age. */
function describe(image: ImageSummary): string {
  const mb = (image.sizeBytes / 1e6).toFixed(1);
  return `${image.tag}  ${image.id.slice(0, 19)}  ${mb} MB  created ${image.created.toISOString()}`;
}
