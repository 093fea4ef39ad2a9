import type { Command } from "commander";
import { assertEngine, connectDocker, engineAddress } from "../../sandbox/engine.js";
import { ensureImage, imageStatus, MANAGED_LABEL, pruneSandbox, RECIPE_DIR } from "../../sandbox/image.js";
import type { ImageSummary } from "../../sandbox/image.js";

/** Adds `verdict sandbox build|status|prune` to the program. */
export function registerSandboxCommands(program: Command): void {
  const sandbox = program.command("sandbox").description("build, inspect and clean up the Python sandbox image");

  sandbox
    .command("build")
    .description("build the sandbox image for the current recipe (sandbox-images/python/) unless it exists")
    .option("--rebuild", "build even if the image exists, from a fresh Debian base")
    .action(async (opts: { rebuild?: boolean }) => {
      const docker = connectDocker();
      await assertEngine(docker);
      const started = Date.now();
      const image = await ensureImage(docker, {
        rebuild: opts.rebuild === true,
        log: (line) => process.stderr.write(`  ${line}\n`),
      });
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      const how = image.built ? `built in ${seconds} s` : "already present";
      process.stdout.write(`${image.tag}  ${image.id}  (${how})\n`);
    });

  sandbox
    .command("status")
    .description("show the engine, the current image and stale images or containers")
    .option("--json", "print one JSON object")
    .action(async (opts: { json?: boolean }) => {
      const docker = connectDocker();
      await assertEngine(docker);
      const [version, status, containers] = await Promise.all([
        docker.version(),
        imageStatus(docker),
        docker.listContainers({ all: true, filters: { label: [`${MANAGED_LABEL}=1`] } }),
      ]);
      const running = containers.filter((c) => c.State === "running").length;
      if (opts.json) {
        const out = {
          engine: { address: engineAddress(docker), version: version.Version, apiVersion: version.ApiVersion },
          recipeDir: RECIPE_DIR,
          ...status,
          containers: { total: containers.length, running },
        };
        process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
        return;
      }
      const lines = [
        `engine      ${engineAddress(docker)} (Docker ${version.Version}, API ${version.ApiVersion})`,
        `recipe      ${RECIPE_DIR} (hash ${status.recipe})`,
        status.current
          ? `image       ${describe(status.current)}`
          : `image       ${status.tag} not built; run: verdict sandbox build`,
      ];
      if (status.others.length > 0) {
        lines.push(`stale       ${status.others.length} other image(s); verdict sandbox prune --images removes them`);
        for (const other of status.others) lines.push(`            ${describe(other)}`);
      }
      lines.push(`containers  ${containers.length} managed, ${running} running`);
      process.stdout.write(`${lines.join("\n")}\n`);
    });

  sandbox
    .command("prune")
    .description(`remove every container labelled ${MANAGED_LABEL}=1 (running ones too: stop runs first)`)
    .option("--images", "also remove every sandbox image except the current recipe's")
    .action(async (opts: { images?: boolean }) => {
      const docker = connectDocker();
      await assertEngine(docker);
      const result = await pruneSandbox(docker, { images: opts.images === true });
      const parts = [`removed ${result.containers} container(s)`];
      if (opts.images) parts.push(`${result.images} image(s)`);
      process.stdout.write(`${parts.join(", ")}\n`);
      for (const failure of result.failures) process.stderr.write(`  could not remove ${failure}\n`);
      if (result.failures.length > 0) process.exitCode = 1;
    });
}

/** One line about an image: tag, short id, size, age. */
function describe(image: ImageSummary): string {
  const mb = (image.sizeBytes / 1e6).toFixed(1);
  return `${image.tag}  ${image.id.slice(0, 19)}  ${mb} MB  created ${image.created.toISOString()}`;
}
