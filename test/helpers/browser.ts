import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import type { BrowserContext, Page } from "playwright-core";

/** Debian's chromium (apt-get install chromium); playwright never downloads a browser here. */
export const CHROMIUM_PATH = "/usr/bin/chromium";

/** Flags for a quiet, offline, throwaway browser: no sandbox (containers), no background traffic. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Why browser tests cannot run here, or null when they can. */
export const chromiumMissing: string | null = existsSync(CHROMIUM_PATH)
  ? null
  : `${CHROMIUM_PATH} is missing (install it with: apt-get install -y chromium); browser tests are skipped`;

/** A page in a fresh profile whose every non-file request is aborted and recorded. */
export interface OfflineBrowser {
  context: BrowserContext;
  page: Page;
  /** URLs the page tried to fetch from anywhere but the local file system. */
  blocked: string[];
  /** Uncaught errors thrown by page scripts. */
  pageErrors: string[];
  /** Opens a local file and waits until `readySelector` appears. */
  open(file: string, readySelector?: string): Promise<void>;
  close(): Promise<void>;
}

/** Launches Chromium headless with a fresh --user-data-dir and the network cut off. */
export async function launchOfflineBrowser(viewport = { width: 1280, height: 900 }): Promise<OfflineBrowser> {
  if (chromiumMissing) throw new Error(chromiumMissing);
  const profile = await mkdtemp(join(tmpdir(), "verdict-chromium-"));
  // A persistent context is how playwright takes a user data dir; the directory is new each time.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_ARGS,
    headless: true,
    viewport,
    deviceScaleFactor: 1,
  });
  const blocked: string[] = [];
  const pageErrors: string[] = [];
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith("file:")) return route.continue();
    blocked.push(url);
    return route.abort("internetdisconnected");
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on("pageerror", (err) => pageErrors.push(err.message));
  return {
    context,
    page,
    blocked,
    pageErrors,
    async open(file, readySelector = "body[data-ready='1']") {
      await page.goto(pathToFileURL(file).href);
      await page.waitForSelector(readySelector, { timeout: 15_000 });
    },
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** Width and height from a PNG's IHDR chunk; throws when the bytes are not a PNG. */
export function pngSize(bytes: Uint8Array): { width: number; height: number } {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length < 24 || !signature.every((b, i) => bytes[i] === b)) throw new Error("not a PNG");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (String.fromCharCode(...bytes.subarray(12, 16)) !== "IHDR") throw new Error("PNG without IHDR first");
  return { width: view.getUint32(16), height: view.getUint32(20) };
}
