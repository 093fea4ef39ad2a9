import { InvalidArgumentError } from "commander";
import { z } from "zod";

/**
 * Flags parsed by zod schemas, the same ones the configs use (a run config's `sandbox.timeout_s`
 * and `--timeout` are one schema), so a flag and a config field cannot disagree on what they
 * accept. Numbers are read from the text first; a bad value is commander's InvalidArgumentError
 * naming the flag and what the schema expected.
 */

/** A commander argument parser for `name` that validates through `schema`. */
export function schemaFlag<T>(name: string, schema: z.ZodType<T>): (text: string) => T {
  return (text: string): T => {
    const trimmed = text.trim();
    const asNumber = trimmed === "" ? Number.NaN : Number(trimmed);
    const parsed = schema.safeParse(Number.isNaN(asNumber) ? text : asNumber);
    if (parsed.success) return parsed.data;
    throw new InvalidArgumentError(`${name}: ${parsed.error.issues[0]?.message ?? "invalid"}, got "${text}"`);
  };
}

/** A whole number of at least `min` (default 1). */
export const countSchema = (min = 1) => z.int().min(min);
