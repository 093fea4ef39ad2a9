import { readFileSync } from "node:fs";
import { appendFile, mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { z } from "zod";
import { InputError } from "../core/errors.js";
import { canonicalJson } from "./canonical-json.js";
import {
  generationRequestSchema,
  generationResultSchema,
  type GenerationRequest,
  type GenerationResult,
  type Provider,
} from "./provider.js";

/** One line of a recording: a request and what the model answered. */
export const recordingLineSchema = z.object({
  request: generationRequestSchema,
  response: generationResultSchema,
});

/** One line of a recording file (JSONL). */
export type RecordingLine = z.infer<typeof recordingLineSchema>;

/**
 * Creates a provider that answers from a recording (JSONL, one {request, response} per line),
 * matching requests by their canonical JSON. A request recorded several times is answered
 * with its recordings in file order, the last one repeating. A request the file does not hold
 * is a setup fault: it throws, naming the nearest recorded request and how it differs.
 */
export function createReplayProvider(file: string): Provider {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new InputError(`cannot read the recording: ${err instanceof Error ? err.message : String(err)}`, file);
  }
  const byKey = new Map<string, { answers: GenerationResult[]; served: number }>();
  const requests: GenerationRequest[] = [];
  for (const [index, line] of text.split("\n").entries()) {
    if (line.trim() === "") continue;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      throw new InputError("not JSON", file, index + 1);
    }
    const parsed = recordingLineSchema.safeParse(json);
    if (!parsed.success) throw new InputError(`not a {request, response} pair: ${z.prettifyError(parsed.error)}`, file, index + 1);
    const key = canonicalJson(parsed.data.request);
    const slot = byKey.get(key);
    if (slot) slot.answers.push(parsed.data.response);
    else {
      byKey.set(key, { answers: [parsed.data.response], served: 0 });
      requests.push(parsed.data.request);
    }
  }

  return {
    id: () => `replay:${file}`,
    async complete(req: GenerationRequest): Promise<GenerationResult> {
      const slot = byKey.get(canonicalJson(req));
      if (!slot) throw new InputError(`no recorded answer for this request (${requests.length} recorded); ${nearestDifference(req, requests)}`, file);
      const answer = slot.answers[Math.min(slot.served, slot.answers.length - 1)];
      slot.served++;
      if (!answer) throw new InputError("empty recording slot", file);
      return { ...answer, cached: true, latencyMs: 0 };
    },
  };
}

/**
 * Wraps a provider so that every answered request is appended to a JSONL recording that
 * createReplayProvider can serve. Error results are not recorded: a replay should reproduce
 * the model, not a server's bad moment. The raw server body is dropped unless asked for.
 */
export function withRecorder(provider: Provider, file: string, options: { keepRaw?: boolean } = {}): Provider {
  // Appends are chained so lines from concurrent requests never interleave.
  let queue: Promise<void> = mkdir(dirname(file), { recursive: true }).then(() => undefined);
  return {
    id: () => provider.id(),
    async complete(req: GenerationRequest): Promise<GenerationResult> {
      const result = await provider.complete(req);
      if (result.error) return result;
      const { raw, ...rest } = result;
      const line: RecordingLine = { request: req, response: { ...rest, cached: false, ...(options.keepRaw ? { raw } : {}) } };
      const write = queue.then(() => appendFile(file, `${JSON.stringify(line)}\n`));
      queue = write.catch(() => undefined);
      await write;
      return result;
    },
  };
}

/** Says how a request differs from the recorded one that shares the most fields with it. */
function nearestDifference(req: GenerationRequest, recorded: GenerationRequest[]): string {
  const fields = (r: GenerationRequest): Map<string, string> =>
    new Map(Object.entries(r).filter(([, v]) => v !== undefined).map(([k, v]) => [k, canonicalJson(v)]));
  const mine = fields(req);
  let best: { differing: string[]; same: number } | undefined;
  for (const other of recorded) {
    const theirs = fields(other);
    const keys = new Set([...mine.keys(), ...theirs.keys()]);
    const differing = [...keys].filter((k) => mine.get(k) !== theirs.get(k)).sort();
    const same = keys.size - differing.length;
    if (!best || same > best.same) best = { differing, same };
  }
  if (!best) return "the recording is empty";
  return `the nearest recorded request differs in: ${best.differing.join(", ")}`;
}
