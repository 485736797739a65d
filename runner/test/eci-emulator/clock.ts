/**
 * The emulator's sense of time. `realClock` (the default) is the wall clock; `SimulatedClock` lets a benchmark replay
 * days of jobs in seconds: time stands still until the driver advances it, and every pause the emulator takes
 * (scheduling, image pulls, image cache preparation, a spot group's notice) ends when simulated time reaches it.
 */
import { setImmediate as tick, setTimeout as sleep } from 'node:timers/promises';

export interface EmulatorClock {
  now(): number;
  /** Resolves after `ms` of this clock's time; rejects (AbortError) when `signal` aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const realClock: EmulatorClock = {
  now: () => Date.now(),
  sleep: (ms, signal) => sleep(ms, undefined, signal ? { signal } : undefined),
};

interface Sleeper {
  at: number;
  seq: number;
  resolve: () => void;
}

export class SimulatedClock implements EmulatorClock {
  private t: number;
  private seq = 0;
  private readonly sleepers: Sleeper[] = [];

  constructor(start: number) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const abort = () => {
        const i = this.sleepers.indexOf(s);
        if (i >= 0) this.sleepers.splice(i, 1);
        reject(Object.assign(new Error('The operation was aborted'), { name: 'AbortError' }));
      };
      const s: Sleeper = {
        at: this.t + Math.max(0, ms),
        seq: this.seq++,
        resolve: () => {
          signal?.removeEventListener('abort', abort);
          resolve();
        },
      };
      if (signal?.aborted) return abort();
      signal?.addEventListener('abort', abort, { once: true });
      this.sleepers.push(s);
    });
  }

  /**
   * Moves time forward to `target`, waking the sleepers due on the way in time order; after each wake-up the
   * work it starts (promise chains, local I/O) gets a few turns of the event loop before time moves on.
   */
  async advanceTo(target: number): Promise<void> {
    for (;;) {
      this.sleepers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.sleepers[0];
      if (!next || next.at > target) break;
      this.sleepers.shift();
      this.t = Math.max(this.t, next.at);
      next.resolve();
      await settle();
    }
    this.t = Math.max(this.t, target);
    await settle();
  }

  advance(ms: number): Promise<void> {
    return this.advanceTo(this.t + ms);
  }
}

/** A few event-loop turns: enough for promise chains and in-process work started by a wake-up to run. */
export async function settle(turns = 3): Promise<void> {
  for (let i = 0; i < turns; i++) await tick();
}
