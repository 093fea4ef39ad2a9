/**
 * The sandbox image on every engine of a pool, without a registry: `docker save` streamed from
 * an engine that has it into `docker load` on one that does not. The image ID is the digest of
 * the image's config, which save/load keeps, so "the same image everywhere" is checkable:
 * after a transfer the target's tag must name the source's ID.
 */
import type { Readable } from "node:stream";
import type Docker from "dockerode";
import { SetupError } from "../core/errors.js";
import { dockerErrorText } from "./docker-error.js";
import { imageId } from "./image.js";

/** What `copyImage` did on the target. */
export type ImageCopyAction = "present" | "loaded" | "replaced";

/** The image on one engine after `copyImage`. */
export interface ImageCopy {
  tag: string;
  id: string;
  /** present: it was there already; loaded: it was missing; replaced: the tag named another image. */
  action: ImageCopyAction;
  /** Bytes streamed (0 when present). */
  bytes: number;
}

/** An engine as the transfer needs it: a client and a label for messages. */
export interface ImageEngine {
  docker: Docker;
  label: string;
}

/**
 * Makes `tag` on `target` name the same image as on `source`: nothing to do when it already
 * does; otherwise streams the source's `docker save` into the target's `docker load` and
 * checks the ID. A target whose tag named another image (a separate build of the same recipe)
 * is re-tagged; the image it named stays until `verdict sandbox prune --images`.
 */
export async function copyImage(source: ImageEngine, target: ImageEngine, tag: string, log?: (line: string) => void): Promise<ImageCopy> {
  const want = await imageId(source.docker, tag);
  if (want === undefined) throw new SetupError(`${source.label} has no image ${tag} to copy`);
  const had = await imageId(target.docker, tag);
  if (had === want) return { tag, id: want, action: "present", bytes: 0 };
  log?.(`copying ${tag} (${want.slice(0, 19)}) from ${source.label} to ${target.label}`);
  const bytes = await streamImage(source, target, tag);
  const now = await imageId(target.docker, tag);
  if (now !== want) {
    throw new SetupError(
      `after docker load on ${target.label}, ${tag} is ${now ?? "missing"}, not ${want} as on ${source.label}`,
    );
  }
  return { tag, id: want, action: had === undefined ? "loaded" : "replaced", bytes };
}

/**
 * Makes `tag` present with one ID on every engine, copying from the first engine that has it
 * (an engine that built it), one target at a time so the source's disk and the network are
 * not asked for several copies at once. Returns the result per engine, in input order.
 */
export async function ensureImageOnEngines(engines: readonly ImageEngine[], tag: string, log?: (line: string) => void): Promise<ImageCopy[]> {
  const ids = await Promise.all(engines.map((e) => imageId(e.docker, tag)));
  const from = ids.findIndex((id) => id !== undefined);
  const source = engines[from];
  if (source === undefined) {
    throw new SetupError(`no engine has ${tag}; build it on one first (verdict sandbox build)`);
  }
  const out: ImageCopy[] = [];
  for (const target of engines) {
    out.push(target === source ? { tag, id: ids[from]!, action: "present", bytes: 0 } : await copyImage(source, target, tag, log));
  }
  return out;
}

/** Streams save → load; returns the bytes carried. Errors of either side name that side. */
async function streamImage(source: ImageEngine, target: ImageEngine, tag: string): Promise<number> {
  let tar: Readable;
  try {
    tar = (await source.docker.getImage(tag).get()) as unknown as Readable;
  } catch (err) {
    throw new SetupError(`docker save ${tag} on ${source.label} failed: ${dockerErrorText(err)}`, { cause: err });
  }
  let bytes = 0;
  let saveError: Error | undefined;
  tar.on("data", (chunk: Buffer) => {
    bytes += chunk.length;
  });
  tar.on("error", (err) => {
    saveError = err;
  });
  try {
    const response = (await target.docker.loadImage(tar, { quiet: true })) as unknown as Readable;
    const events = await new Promise<unknown[]>((resolve, reject) => {
      target.docker.modem.followProgress(response, (err: Error | null, res: unknown[]) => (err ? reject(err) : resolve(res)));
    });
    // The engine reports a failed load inside a 200 response, as an event with `error`.
    const failed = events.find((e): e is { error: unknown } => e !== null && typeof e === "object" && "error" in e);
    if (failed) throw new Error(String(failed.error));
  } catch (err) {
    tar.destroy();
    const cause = saveError ?? err;
    const side = saveError ? `docker save on ${source.label}` : `docker load on ${target.label}`;
    throw new SetupError(`copying ${tag} from ${source.label} to ${target.label}: ${side} failed: ${dockerErrorText(cause)}`, { cause });
  }
  if (saveError) throw new SetupError(`docker save ${tag} on ${source.label} failed: ${dockerErrorText(saveError)}`, { cause: saveError });
  return bytes;
}
