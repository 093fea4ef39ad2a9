import type { ExpansionRequest, StepPolicy, StepProposal } from "./policy.js";

/**
 * rStar-Math's lockstep batches (`schedule: waves`) over any policy: requests are held until
 * the wave before them is answered, then every request that is waiting goes out at once as the
 * next wave, and its answers are handed back together when the whole wave is in. Rewards are
 * not held: a task judging the code of the last wave is simply not in the next one, so the pool
 * works while the model answers. The trees are the same as without waves (each task's tree
 * depends only on the answers); only the timing changes. The async default has no barrier; see
 * README "Searching (MCTS)" for the measured difference.
 */
export interface WavePolicy extends StepPolicy {
  /** Waves sent so far, and the largest one. */
  readonly waves: number;
  readonly largestWave: number;
}

interface Held {
  request: ExpansionRequest;
  resolve: (p: StepProposal) => void;
  reject: (e: unknown) => void;
}

/** Wraps a policy so its requests go out in waves (see above). */
export function createWavePolicy(inner: StepPolicy): WavePolicy {
  let waiting: Held[] = [];
  let inFlight = false;
  let scheduled = false;
  let waves = 0;
  let largestWave = 0;

  const send = async (): Promise<void> => {
    scheduled = false;
    const wave = waiting;
    waiting = [];
    if (wave.length === 0) return;
    inFlight = true;
    waves++;
    largestWave = Math.max(largestWave, wave.length);
    const settled = await Promise.allSettled(wave.map((h) => inner.propose(h.request)));
    inFlight = false;
    // The next wave is every request that arrived meanwhile, plus those the answers below set off.
    schedule();
    settled.forEach((s, i) => {
      const held = wave[i] as Held;
      if (s.status === "fulfilled") held.resolve(s.value);
      else held.reject(s.reason);
    });
  };
  // A wave leaves on the next turn of the event loop, so the requests tasks make in one turn travel together.
  const schedule = (): void => {
    if (inFlight || scheduled) return;
    scheduled = true;
    setImmediate(() => void send());
  };

  return {
    id: () => inner.id(),
    propose(request) {
      return new Promise<StepProposal>((resolve, reject) => {
        waiting.push({ request, resolve, reject });
        schedule();
      });
    },
    get waves() {
      return waves;
    },
    get largestWave() {
      return largestWave;
    },
  };
}
