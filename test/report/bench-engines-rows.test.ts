import { describe, expect, it } from "vitest";
import { figure } from "../../src/pipelines/bench-jobs.js";
import type { EnginesBenchReport } from "../../src/pipelines/bench-engines.js";
import { enginesBenchRows } from "../../src/report/bench-engines-rows.js";
import { renderBench } from "../../src/report/bench-table.js";

const measured = (threeOverOne: number): EnginesBenchReport => ({
  workers: 3,
  trivial_jobs_per_second: { main_engine: figure([250, 240, 260]), one_engine: figure([200, 190, 210]), three_engines_unix: figure([200 * threeOverOne]), three_engines: figure([150]) },
  per_engine: [
    { label: "unix:///tmp/e/unix/docker.sock", workers: 1, jobs: 340, busy_seconds: 4.1, faults: 0 },
    { label: "tcp://127.0.0.1:2376?x", workers: 1, jobs: 330, busy_seconds: 4, faults: 0 },
    { label: "ssh://root@127.0.0.1:2222", workers: 1, jobs: 330, busy_seconds: 4.2, faults: 0 },
  ],
  three_over_one: threeOverOne,
  transports_over_one: 0.75,
  runtime: {
    trivial_jobs_per_second: { runc: figure([289.7]), runsc: figure([19.6]) },
    mbpp_test_reference_seconds: { runc: figure([4.79]), runsc: figure([26.42]), passed: { runc: 500, runsc: 500 } },
    runsc_over_runc: { trivial: 19.6 / 289.7, mbpp: 4.79 / 26.42 },
  },
});

describe("the engines section of verdict bench", () => {
  it("shows one engine against three with the 10% target, the share of each engine, and runsc against runc", () => {
    const rows = enginesBenchRows(measured(0.95));
    const target = rows.find((r) => r[0]!.startsWith("three engines (unix sockets) / one engine"));
    expect(target).toEqual(["three engines (unix sockets) / one engine: the scheduler's cost", "95%", ">= 90%", "yes"]);
    expect(enginesBenchRows(measured(0.8)).find((r) => r[0]!.startsWith("three engines (unix sockets)"))?.[3]).toBe("NO");
    expect(rows.find((r) => r[0]!.startsWith("three engines (unix, TLS, SSH) / one engine"))?.slice(1)).toEqual(["75%", "", ""]);
    expect(rows.map((r) => r[0])).toContain("  jobs per engine over unix, TLS and SSH: unix:///tmp/e/unix/docker.sock: 340, tcp://127.0.0.1:2376: 330, ssh://root@127.0.0.1:2222: 330");
    expect(rows.find((r) => r[0] === "runsc / runc, trivial jobs/s")?.[1]).toBe("6.8%");
    expect(rows.find((r) => r[0]!.startsWith("runsc / runc, MBPP"))?.[1]).toBe("18.1%");
    expect(rows.find((r) => r[0]!.startsWith("MBPP test split, reference solutions under runsc"))).toEqual([
      "MBPP test split, reference solutions under runsc (s), 500 passed",
      "26.42 (min 26.42, max 26.42)",
      "",
      "",
    ]);
    expect(renderBench({ workers: 2, engines: measured(0.95) })).toContain("the scheduler's cost");
  });

  it("says why a half was not measured instead of showing figures", () => {
    const rows = enginesBenchRows({ workers: 3, engines_skipped: "extra Docker engines need root on Linux", runtime_skipped: "runsc is not registered with the main engine (it has runc)" });
    expect(rows.map((r) => r[0])).toEqual([
      "engines: not measured: extra Docker engines need root on Linux",
      "runsc vs runc: not measured: runsc is not registered with the main engine (it has runc)",
    ]);
  });
});
