/**
 * Who waited on whom during a search: it counts the requests at the model and the programs at
 * the judge over time, and integrates what each side was doing. With `workers` (the sandbox
 * pool's size), "the pool was busy" is the share of its workers that had a program, since the
 * judge queues what its workers cannot take yet.
 */
export interface WaitMeter {
  /** Runs a model request, counting it at the model while it runs. */
  model<T>(call: () => Promise<T>): Promise<T>;
  /** Runs a judgement, counting it at the judge while it runs (queued or running). */
  judge<T>(call: () => Promise<T>): Promise<T>;
  /** The figures so far. */
  report(): WaitReport;
}

/** Seconds, integrated from the start of the meter. */
export interface WaitReport {
  seconds: number;
  /** At least one request at the model / one program at the judge. */
  modelBusySeconds: number;
  judgeBusySeconds: number;
  /** ∫ min(programs at the judge, workers) / workers: the pool's busy time (equals judgeBusySeconds with one worker). */
  poolBusySeconds: number;
  /** No request at the model while a program was at the judge: the model waited on the pool. */
  modelWaitedOnPoolSeconds: number;
  /** ∫ idle workers / workers while a request was at the model: the pool waited on the model. */
  poolWaitedOnModelSeconds: number;
  maxModelInFlight: number;
  maxJudgeInFlight: number;
}

/** A meter starting now; `workers` is the pool's size (default 1). */
export function createWaitMeter(workers = 1, now: () => number = () => performance.now()): WaitMeter {
  const start = now();
  let last = start;
  let model = 0;
  let judge = 0;
  const r = { modelBusy: 0, judgeBusy: 0, poolBusy: 0, modelWaited: 0, poolWaited: 0, maxModel: 0, maxJudge: 0 };
  // Adds the time since the last change under the state that held during it.
  const advance = (): void => {
    const t = now();
    const dt = t - last;
    last = t;
    if (model > 0) r.modelBusy += dt;
    if (judge > 0) r.judgeBusy += dt;
    const busyShare = Math.min(judge, workers) / workers;
    r.poolBusy += dt * busyShare;
    if (model === 0 && judge > 0) r.modelWaited += dt;
    if (model > 0) r.poolWaited += dt * (1 - busyShare);
  };
  const track = async <T>(side: "model" | "judge", call: () => Promise<T>): Promise<T> => {
    advance();
    if (side === "model") r.maxModel = Math.max(r.maxModel, ++model);
    else r.maxJudge = Math.max(r.maxJudge, ++judge);
    try {
      return await call();
    } finally {
      advance();
      if (side === "model") model--;
      else judge--;
    }
  };
  return {
    model: (call) => track("model", call),
    judge: (call) => track("judge", call),
    report() {
      advance();
      const s = (ms: number): number => ms / 1000;
      return {
        seconds: s(last - start),
        modelBusySeconds: s(r.modelBusy),
        judgeBusySeconds: s(r.judgeBusy),
        poolBusySeconds: s(r.poolBusy),
        modelWaitedOnPoolSeconds: s(r.modelWaited),
        poolWaitedOnModelSeconds: s(r.poolWaited),
        maxModelInFlight: r.maxModel,
        maxJudgeInFlight: r.maxJudge,
      };
    },
  };
}
