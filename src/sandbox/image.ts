import { createHash } from "node:crypto";
import { accessSync, constants, createReadStream, existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import type Docker from "dockerode";
import { execa } from "execa";
import { SetupError } from "../core/errors.js";
import { MANAGED_LABEL, RUNNER_COMMAND, RUNNER_PATH_IN_CONTAINER } from "./container-spec.js";

/** Re-exported: the label on every image and container verdict owns; `prune` removes what carries it. */
export { MANAGED_LABEL };
import { withBuildLock } from "./build-lock.js";

/** The recipe the image is built from: build.sh, the runner (runner.py, verdict_runner/), Dockerfile, README. */
export const RECIPE_DIR = fileURLToPath(new URL("../../sandbox-images/python/", import.meta.url));
/** The in-container runner's main script on this machine (baked into the image; bench runs it with `--host`). */
export const RUNNER_SOURCE = join(RECIPE_DIR, "runner.py");
/** The runner's package, beside runner.py here and in the image (`/opt/verdict/verdict_runner/`). */
export const RUNNER_PACKAGE = join(RECIPE_DIR, "verdict_runner");

/** Every source file of the runner (runner.py and its package's modules), sorted: what a digest of "the runner" covers. */
export function runnerSources(): string[] {
  const modules = readdirSync(RUNNER_PACKAGE)
    .filter((f) => f.endsWith(".py"))
    .sort()
    .map((f) => join(RUNNER_PACKAGE, f));
  return [RUNNER_SOURCE, ...modules];
}

/** sha256 over the runner's sources (relative names and contents): changes with any module of it. */
export function runnerDigest(): string {
  const hash = createHash("sha256");
  for (const file of runnerSources()) {
    const content = readFileSync(file);
    hash.update(`${relative(RECIPE_DIR, file)}\0${content.length}\0`);
    hash.update(content);
  }
  return hash.digest("hex");
}
/** Repository name of every sandbox image; the tag is the recipe hash. */
export const IMAGE_REPO = "verdict-python";
/** Label holding the recipe hash an image was built from. */
export const RECIPE_LABEL = "verdict.recipe";

/**
 * Dockerfile instructions applied on import; the Dockerfile sets the same ones. PATH is explicit
 * because an imported image has no environment, and not every runtime (containerd under
 * Kubernetes) fills in Docker's default.
 */
const IMPORT_CHANGES = [
  "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  "ENV LANG=C.UTF-8",
  "ENV PYTHONDONTWRITEBYTECODE=1",
  `CMD ${JSON.stringify(RUNNER_COMMAND)}`,
];

/** A sandbox image present in the engine. */
export interface SandboxImage {
  tag: string;
  id: string;
  /** True when this call built and imported the image, false when it was already there. */
  built: boolean;
}

/** How `ensureImage` may build. */
export interface EnsureImageOptions {
  /** Build even when the tag exists, and refresh the cached Debian base too. */
  rebuild?: boolean;
  /** Receives progress lines (the build script's output). */
  log?: (line: string) => void;
  /** Recipe directory; defaults to the project's sandbox-images/python/. */
  recipeDir?: string;
}

/** One verdict-python image as the engine reports it. */
export interface ImageSummary {
  /** `verdict-python:<hash>`, or `<none>` for a managed image that lost its tag. */
  tag: string;
  id: string;
  sizeBytes: number;
  created: Date;
  recipe: string | undefined;
}

/** What `imageStatus` reports: the image the current recipe needs, and any others. */
export interface ImageStatus {
  tag: string;
  recipe: string;
  /** The current recipe's image, when it has been built. */
  current: ImageSummary | undefined;
  /** Images built from other recipes (stale after a recipe change), and untagged ones. */
  others: ImageSummary[];
}

/** What `pruneSandbox` should remove. */
export interface PruneOptions {
  /** Also remove every verdict image except the current recipe's. */
  images?: boolean;
  /** Only touch objects that also carry all these labels (narrows the sweep; for tests and tools). */
  labels?: Record<string, string>;
}

/** What `pruneSandbox` removed, and what it could not. */
export interface PruneResult {
  containers: number;
  images: number;
  failures: string[];
}

/** sha256 over every file of the recipe (sorted relative paths and contents), 12 hex chars. */
export function recipeHash(dir: string = RECIPE_DIR): string {
  const hash = createHash("sha256");
  for (const file of recipeFiles(dir)) {
    const content = readFileSync(join(dir, file));
    // Name and length delimit each file so that moving bytes between files changes the hash.
    hash.update(`${file}\0${content.length}\0`);
    hash.update(content);
  }
  return hash.digest("hex").slice(0, 12);
}

/** The image tag for a recipe: `verdict-python:<recipeHash>`. */
export function imageTag(dir: string = RECIPE_DIR): string {
  return `${IMAGE_REPO}:${recipeHash(dir)}`;
}

/**
 * Returns the image for the current recipe, building and importing it first when the engine
 * lacks it. Building needs root and debootstrap; a missing piece throws SetupError.
 */
export async function ensureImage(docker: Docker, options: EnsureImageOptions = {}): Promise<SandboxImage> {
  const dir = options.recipeDir ?? RECIPE_DIR;
  const log = options.log ?? (() => {});
  const recipe = recipeHash(dir);
  const tag = `${IMAGE_REPO}:${recipe}`;
  if (!options.rebuild) {
    const id = await imageId(docker, tag);
    if (id !== undefined) return { tag, id, built: false };
  }
  assertCanBuild(dir, tag);

  // Test files and CLI runs start together after a recipe change; without the lock each would
  // build and import, and all but the last import would leave an untagged image behind.
  return withBuildLock(`image-${recipe}`, `${IMAGE_REPO}:${recipe}`, log, async () => {
    if (!options.rebuild) {
      const id = await imageId(docker, tag);
      if (id !== undefined) return { tag, id, built: false };
    }
    const work = await mkdtemp(join(tmpdir(), "verdict-image-"));
    try {
      const tar = join(work, "rootfs.tar");
      log(`building ${tag} from ${dir}`);
      await runBuildScript(dir, tar, options.rebuild === true, log);
      log(`importing ${tar} into the engine`);
      await importTar(docker, tar, recipe);
      const id = await imageId(docker, tag);
      if (id === undefined) throw new SetupError(`docker import reported success but ${tag} is not in the engine`);
      log(`built ${tag} (${id.slice(0, 19)})`);
      return { tag, id, built: true };
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
}

/** The current recipe's image (if built) and every other verdict-python image in the engine. */
export async function imageStatus(docker: Docker, recipeDir: string = RECIPE_DIR): Promise<ImageStatus> {
  const recipe = recipeHash(recipeDir);
  const tag = `${IMAGE_REPO}:${recipe}`;
  let current: ImageSummary | undefined;
  const others: ImageSummary[] = [];
  for (const image of await listVerdictImages(docker)) {
    for (const t of image.tags) {
      const summary: ImageSummary = {
        tag: t,
        id: image.info.Id,
        sizeBytes: image.info.Size,
        created: new Date(image.info.Created * 1000),
        recipe: image.info.Labels?.[RECIPE_LABEL],
      };
      if (t === tag) current = summary;
      else others.push(summary);
    }
  }
  others.sort((a, b) => b.created.getTime() - a.created.getTime());
  return { tag, recipe, current, others };
}

/**
 * Removes every container labelled `verdict.managed=1`, running or not (pools of other verdict
 * processes included, and leftovers of a crash), and with `images` every verdict image but the
 * current recipe's.
 */
export async function pruneSandbox(docker: Docker, options: PruneOptions = {}): Promise<PruneResult> {
  const extra = Object.entries(options.labels ?? {}).map(([k, v]) => `${k}=${v}`);
  const result: PruneResult = { containers: 0, images: 0, failures: [] };

  const containers = await docker.listContainers({ all: true, filters: { label: [`${MANAGED_LABEL}=1`, ...extra] } });
  for (const c of containers) {
    try {
      await docker.getContainer(c.Id).remove({ force: true, v: true });
      result.containers += 1;
    } catch (err) {
      // Gone already (removed by its owner, or auto-removed) is what we wanted.
      if (statusOf(err) === 404) continue;
      if (statusOf(err) === 409 && /already in progress/i.test(String(err))) continue;
      result.failures.push(`container ${c.Id.slice(0, 12)}: ${messageOf(err)}`);
    }
  }

  if (options.images) {
    const keep = await imageId(docker, imageTag());
    for (const image of await listVerdictImages(docker)) {
      if (image.info.Id === keep) continue;
      const labels = image.info.Labels ?? {};
      if (!Object.entries(options.labels ?? {}).every(([k, v]) => labels[k] === v)) continue;
      // Removing by tag only untags an image that other tags still name; by id when untagged.
      const refs = image.tags.filter((t) => t.startsWith(`${IMAGE_REPO}:`));
      try {
        if (refs.length === 0) await docker.getImage(image.info.Id).remove();
        for (const ref of refs) await docker.getImage(ref).remove();
        result.images += 1;
      } catch (err) {
        if (statusOf(err) === 404) continue;
        result.failures.push(`image ${refs[0] ?? image.info.Id.slice(0, 19)}: ${messageOf(err)}`);
      }
    }
  }
  return result;
}

/** Files of the recipe, relative and sorted; bytecode caches are not part of it. */
function recipeFiles(dir: string): string[] {
  if (!existsSync(dir)) throw new SetupError(`sandbox recipe directory ${dir} does not exist`);
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split("\\").join("/"))
    .filter((f) => !f.split("/").includes("__pycache__") && !f.endsWith(".pyc"))
    .sort();
}

/** Image id for a reference, or undefined when the engine does not have it. */
export async function imageId(docker: Docker, ref: string): Promise<string | undefined> {
  try {
    return (await docker.getImage(ref).inspect()).Id;
  } catch (err) {
    if (statusOf(err) === 404) return undefined;
    throw err;
  }
}

/** Every image named verdict-python:*, plus untagged images verdict labelled as its own. */
async function listVerdictImages(docker: Docker): Promise<{ info: Docker.ImageInfo; tags: string[] }[]> {
  const images = await docker.listImages({ all: false });
  const out: { info: Docker.ImageInfo; tags: string[] }[] = [];
  for (const info of images) {
    const tags = (info.RepoTags ?? []).filter((t) => t.startsWith(`${IMAGE_REPO}:`));
    const untagged = (info.RepoTags ?? []).every((t) => t === "<none>:<none>");
    if (tags.length > 0) out.push({ info, tags });
    else if (untagged && info.Labels?.[MANAGED_LABEL] === "1") out.push({ info, tags: ["<none>"] });
  }
  return out;
}

/** Throws SetupError naming exactly what is missing for a build on this machine. */
function assertCanBuild(dir: string, tag: string): void {
  const script = join(dir, "build.sh");
  if (!existsSync(script)) throw new SetupError(`sandbox build script ${script} is missing`);
  if (!existsSync(join(dir, "runner.py"))) {
    throw new SetupError(`the sandbox runner ${join(dir, "runner.py")} is missing; the image bakes it in at ${RUNNER_PATH_IN_CONTAINER}`);
  }
  if (!existsSync(join(dir, "verdict_runner", "__init__.py"))) {
    throw new SetupError(`the sandbox runner's package ${join(dir, "verdict_runner")} is missing; the image bakes it in beside ${RUNNER_PATH_IN_CONTAINER}`);
  }
  const registryHint = `on a host with a container registry you can instead run: docker build -t ${tag} ${dir}`;
  if (process.getuid?.() !== 0) {
    throw new SetupError(
      `building the sandbox image ${tag} needs root (debootstrap builds its root filesystem); ` +
        `run \`sudo node bin/verdict.js sandbox build\` once; ${registryHint}`,
    );
  }
  if (!onPath("debootstrap")) {
    throw new SetupError(
      `building the sandbox image ${tag} needs debootstrap, which is not installed; ` +
        `run: apt-get install -y debootstrap (or scripts/ensure-docker.sh as root); ${registryHint}`,
    );
  }
}

/** Whether an executable is on PATH or in the sbin directories root's PATH normally has. */
function onPath(name: string): boolean {
  const dirs = [...(process.env.PATH ?? "").split(delimiter), "/usr/local/sbin", "/usr/sbin", "/sbin"];
  return dirs.some((d) => {
    if (d === "") return false;
    try {
      accessSync(join(d, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Runs build.sh, forwarding its output line by line; a failed build throws SetupError. */
async function runBuildScript(dir: string, tar: string, freshBase: boolean, log: (line: string) => void): Promise<void> {
  const args = [join(dir, "build.sh"), ...(freshBase ? ["--fresh-base"] : []), tar];
  // sbin joins PATH because debootstrap and chroot live there and a sudo'd PATH may lack it.
  const path = [process.env.PATH ?? "", "/usr/local/sbin", "/usr/sbin", "/sbin"].filter(Boolean).join(delimiter);
  const child = execa("bash", args, { all: true, reject: false, env: { PATH: path }, stdin: "ignore" });
  const tail: string[] = [];
  for await (const line of child.iterable({ from: "all" })) {
    log(line);
    tail.push(line);
    if (tail.length > 20) tail.shift();
  }
  const result = await child;
  if (result.exitCode !== 0) {
    throw new SetupError(
      `building the sandbox image failed (build.sh exited ${result.exitCode ?? result.signal ?? "abnormally"}):\n${tail.join("\n")}`,
    );
  }
}

/** Streams the root filesystem tar into the engine as `verdict-python:<recipe>`. */
async function importTar(docker: Docker, tar: string, recipe: string): Promise<void> {
  const stream = await docker.importImage(createReadStream(tar), {
    repo: IMAGE_REPO,
    tag: recipe,
    changes: [...IMPORT_CHANGES, `LABEL ${MANAGED_LABEL}=1`, `LABEL ${RECIPE_LABEL}=${recipe}`],
    message: `verdict sandbox image, recipe ${recipe}`,
  });
  const events = await new Promise<unknown[]>((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, res: unknown[]) => (err ? reject(err) : resolve(res)));
  });
  // The engine reports a failed import inside a 200 response, as an event with `error`.
  for (const e of events) {
    if (e !== null && typeof e === "object" && "error" in e) {
      throw new SetupError(`docker import of the sandbox image failed: ${String((e as { error: unknown }).error)}`);
    }
  }
}

/** HTTP status of a dockerode error, if it has one. */
function statusOf(err: unknown): number | undefined {
  const code = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === "number" ? code : undefined;
}

/** The message of an error, or its string form. */
function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
