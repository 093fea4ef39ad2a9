import type { FastifyInstance } from "fastify";
import { SandboxFault } from "../core/errors.js";
import type { RawJobResult } from "../core/job.js";
import { sha256 } from "../util/hash.js";
import { checkSize, invalidBody, RequestError } from "./request-errors.js";
import { underSignal } from "./request-signal.js";
import { RUN_CODE_LANGUAGES, runCodeBodySchema, runCodeResponse, sandboxErrorResponse, type RunCodeResponse } from "./sandbox-fusion.js";
import type { ServiceContext } from "./service-context.js";

/** SandboxFusion's default run_timeout, in seconds. */
const DEFAULT_RUN_SECONDS = 10;

/**
 * POST /run_code: SandboxFusion-compatible, Python only. Runs the program on `stdin` in the
 * same pool and hands back stdout, stderr and the return code. It runs code, it does not judge.
 */
export function registerRunCodeRoute(app: FastifyInstance, ctx: ServiceContext): void {
  app.post("/run_code", async (request, reply): Promise<RunCodeResponse> => {
    const parsed = runCodeBodySchema.safeParse(request.body);
    if (!parsed.success) throw invalidBody(parsed.error, "run_code");
    const body = parsed.data;
    if (!(RUN_CODE_LANGUAGES as readonly string[]).includes(body.language)) {
      throw new RequestError(400, `language: ${JSON.stringify(body.language)} is not run here; supported: ${RUN_CODE_LANGUAGES.join(", ")}`);
    }
    if (Object.keys(body.files ?? {}).length > 0 || (body.fetch_files ?? []).length > 0) {
      throw new RequestError(400, "files, fetch_files: not supported (the sandbox gives a program no files of the client's)");
    }
    checkSize(body.code, ctx.options.maxProgramBytes, "code");
    const stdin = body.stdin ?? "";
    checkSize(stdin, ctx.options.maxProgramBytes, "stdin");
    const seconds = body.run_timeout ?? DEFAULT_RUN_SECONDS;
    if (seconds > ctx.options.maxRunSeconds) throw new RequestError(400, `run_timeout: ${seconds} s is over this service's limit of ${ctx.options.maxRunSeconds} s`);
    const mb = body.memory_limit_MB;
    // -1 (SandboxFusion's "no limit") and anything above the session's limit get the session's limit.
    const memoryMb = mb === undefined || mb <= 0 ? ctx.session.limits.memoryMb : Math.min(mb, ctx.session.limits.memoryMb);
    if (ctx.options.logPrograms) ctx.log(`run_code ${sha256(body.code).slice(0, 12)}:\n${body.code}`);
    let raw: RawJobResult;
    try {
      [raw] = await underSignal(reply, ctx.options.requestTimeoutMs, ctx.shutdown, (signal) =>
        ctx.queue.submit([(s) => ctx.session.run(body.code, { stdin, limits: { testSeconds: seconds, loadSeconds: seconds, memoryMb }, signal: s })], signal),
      ) as [RawJobResult];
    } catch (e) {
      if (!(e instanceof SandboxFault)) throw e;
      ctx.metrics.run("SandboxError");
      return sandboxErrorResponse(e.message);
    }
    const response = runCodeResponse(raw);
    ctx.metrics.run(response.run_result?.status ?? response.status);
    return response;
  });
}
