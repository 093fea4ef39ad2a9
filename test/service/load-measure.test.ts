import { describe, expect, it } from "vitest";
import { measureServiceLoad } from "../../src/service/load-measure.js";
import { sessionForFile } from "../helpers/judge-service.js";

const fileSession = sessionForFile();

describe("measureServiceLoad", () => {
  // Correctness only: the speed figures belong to `npm run bench`, never to an assertion.
  it("answers 500 /v1/judge requests from 64 clients (autocannon, loopback), every answer right, none lost", async () => {
    const r = await measureServiceLoad(fileSession().session, { requests: 500, connections: 64, sequential: 0, baseline: false, maxTaskSeconds: 0.05 });
    expect(r.tasks).toBeGreaterThan(100);
    expect({ requests: r.requests, correct: r.correct, wrong: r.wrong, non2xx: r.non2xx, lost: r.lost, errors: r.errors, timeouts: r.timeouts }).toEqual({
      requests: 500,
      correct: 500,
      wrong: 0,
      non2xx: 0,
      lost: 0,
      errors: 0,
      timeouts: 0,
    });
  }, 300_000);
});
