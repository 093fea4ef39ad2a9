import { assertEngine, connectDocker } from "../../src/sandbox/engine.js";
import { ensureImage } from "../../src/sandbox/image.js";

let image: Promise<{ tag: string; id: string }> | undefined;

/**
 * The sandbox image for the current recipe, built on first use: connects to the engine, checks
 * it answers and ensures the image once per test process.
 */
export async function testImage(): Promise<{ tag: string; id: string }> {
  image ??= (async () => {
    const docker = connectDocker();
    await assertEngine(docker);
    const { tag, id } = await ensureImage(docker, {
      // A first build takes about a minute; say so rather than look hung.
      log: (line) => process.stderr.write(`[sandbox image] ${line}\n`),
    });
    return { tag, id };
  })();
  // A failed attempt is not cached, so a later test sees the real error again, not a stale one.
  image.catch(() => {
    image = undefined;
  });
  return image;
}
