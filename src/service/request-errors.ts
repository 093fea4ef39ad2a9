import type { z } from "zod";

/** A request the service refuses, with the HTTP status and a message naming the field at fault. */
export class RequestError extends Error {
  override name = "RequestError";
  constructor(
    readonly status: 400 | 401 | 404 | 413 | 415 | 429 | 503 | 504,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** A zod failure as a 400 naming each field (`items.3.program: expected string`). */
export function invalidBody(error: z.ZodError, what: string): RequestError {
  const issues = error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length > 0 ? i.path.join(".") : "(body)"}: ${i.message}`)
    .join("; ");
  return new RequestError(400, `not a ${what} request: ${issues}`);
}

/** 413 when `text` (a program, a query) is over `max` bytes; `field` names it in the message. */
export function checkSize(text: string, max: number, field: string): void {
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > max) throw new RequestError(413, `${field} is ${bytes} bytes; the limit is ${max}`);
}

/** 413 when a request carries more than `max` items. */
export function checkItems(count: number, max: number, field: string): void {
  if (count > max) throw new RequestError(413, `${field} has ${count} items; the limit is ${max} per request`);
}
