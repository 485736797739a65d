import { describe, expect, it } from '@jest/globals';
import { createLogger } from '../../observability/logger.js';
import type { LeaseLock, LeaseRecord, StoredLease } from './lease-lock.js';
import { DEFAULT_TIMING, LeaderElector, validateTiming, type Clock } from './leader-elector.js';

/** A Lease in memory with the API server's optimistic concurrency: every write bumps the resourceVersion. */
class MemoryLease {
  stored: StoredLease | undefined;
  private version = 0;
  writes = 0;

  lockFor(name: string, health: { down: boolean } = { down: false }): LeaseLock {
    const check = () => {
      if (health.down) throw new Error(`${name}: connection refused`);
    };
    return {
      describe: () => 'ns/eci-virtual-controller',
      get: async () => {
        check();
        return this.stored && structuredClone(this.stored);
      },
      create: async (record) => {
        check();
        if (this.stored) return undefined;
        return this.write(record);
      },
      update: async (record, version) => {
        check();
        if (!this.stored || this.stored.version !== version) return undefined;
        return this.write(record);
      },
    };
  }

  private write(record: LeaseRecord): StoredLease {
    this.writes++;
    this.stored = { record: { ...record }, version: String(++this.version) };
    return structuredClone(this.stored);
  }
}

/** Time moves only when the test says so; sleepers wake in order. */
class FakeClock implements Clock {
  t = 1_700_000_000_000;
  private timers: { at: number; wake: () => void }[] = [];

  now(): number {
    return this.t;
  }

  sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const onAbort = () => {
        this.timers = this.timers.filter((x) => x !== timer);
        resolve();
      };
      const timer = {
        at: this.t + ms,
        wake: () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      this.timers.push(timer);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await settle();
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.t = Math.max(this.t, next.at);
      next.wake();
    }
    this.t = end;
    await settle();
  }
}

const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

const log = createLogger({}, { level: 'error' });

interface Replica {
  elector: LeaderElector;
  health: { down: boolean };
  stop: AbortController;
  done: Promise<void>;
  terms: { startedAt: number; endedAt?: number }[];
}

function replica(lease: MemoryLease, clock: FakeClock, identity: string, events: string[]): Replica {
  const health = { down: false };
  const stop = new AbortController();
  const terms: Replica['terms'] = [];
  const elector = new LeaderElector({
    lock: lease.lockFor(identity, health),
    identity,
    timing: DEFAULT_TIMING,
    log,
    clock,
    random: () => 0.5,
    onStartedLeading: (term) => {
      const t = { startedAt: clock.now() } as Replica['terms'][number];
      terms.push(t);
      events.push(`${identity} leads`);
      return new Promise<void>((resolve) =>
        term.addEventListener(
          'abort',
          () => {
            t.endedAt = clock.now();
            events.push(`${identity} stops`);
            resolve();
          },
          { once: true },
        ),
      );
    },
  });
  return { elector, health, stop, done: elector.run(stop.signal), terms };
}

describe('LeaderElector', () => {
  it('makes exactly one of two replicas the leader, and the other follows it', async () => {
    const lease = new MemoryLease();
    const clock = new FakeClock();
    const events: string[] = [];
    const a = replica(lease, clock, 'a', events);
    const b = replica(lease, clock, 'b', events);
    await clock.advance(30_000);
    expect(events).toEqual(['a leads']);
    expect(a.elector.isLeader).toBe(true);
    expect(b.elector.isLeader).toBe(false);
    expect(b.elector.leader).toBe('a');
    expect(lease.stored!.record).toMatchObject({ holderIdentity: 'a', leaseTransitions: 0, leaseDurationSeconds: 10 });
    // Renewals keep the acquire time and the transition count.
    const acquired = lease.stored!.record.acquireTime;
    await clock.advance(10_000);
    expect(lease.stored!.record.acquireTime).toBe(acquired);
    expect(lease.stored!.record.renewTime > acquired).toBe(true);
    for (const r of [a, b]) r.stop.abort();
    await clock.advance(5_000);
    await Promise.all([a.done, b.done]);
  });

  it("lets a follower take over after the leader's death, within the lease duration plus one retry", async () => {
    const lease = new MemoryLease();
    const clock = new FakeClock();
    const events: string[] = [];
    const a = replica(lease, clock, 'a', events);
    await clock.advance(100);
    const b = replica(lease, clock, 'b', events);
    await clock.advance(5_000);
    // kill -9: a writes nothing any more (and cannot release).
    a.health.down = true;
    const died = clock.now();
    await clock.advance(20_000);
    const took = b.terms[0]!.startedAt - died;
    expect(took).toBeGreaterThanOrEqual(DEFAULT_TIMING.leaseDurationMs - DEFAULT_TIMING.retryPeriodMs * 1.2);
    expect(took).toBeLessThanOrEqual(DEFAULT_TIMING.leaseDurationMs + 2 * DEFAULT_TIMING.retryPeriodMs * 1.2);
    expect(lease.stored!.record).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
    // The cut-off leader stopped on its own, at its renew deadline — before anyone else could lead.
    expect(a.terms[0]!.endedAt! - died).toBeLessThanOrEqual(DEFAULT_TIMING.renewDeadlineMs);
    expect(events).toEqual(['a leads', 'a stops', 'b leads']);
    for (const r of [a, b]) r.stop.abort();
    await clock.advance(5_000);
  });

  it('keeps leading through API errors shorter than the renew deadline', async () => {
    const lease = new MemoryLease();
    const clock = new FakeClock();
    const events: string[] = [];
    const a = replica(lease, clock, 'a', events);
    const b = replica(lease, clock, 'b', events);
    await clock.advance(3_000);
    a.health.down = true;
    await clock.advance(4_500);
    a.health.down = false;
    await clock.advance(30_000);
    expect(events).toEqual(['a leads']);
    for (const r of [a, b]) r.stop.abort();
    await clock.advance(5_000);
  });

  it('hands the lease over at once when the leader stops gracefully (released: empty holder)', async () => {
    const lease = new MemoryLease();
    const clock = new FakeClock();
    const events: string[] = [];
    const a = replica(lease, clock, 'a', events);
    await clock.advance(100);
    const b = replica(lease, clock, 'b', events);
    await clock.advance(5_000);
    const stopped = clock.now();
    a.stop.abort();
    await clock.advance(10_000);
    await a.done;
    expect(b.terms[0]!.startedAt - stopped).toBeLessThanOrEqual(DEFAULT_TIMING.retryPeriodMs * 1.2);
    expect(lease.stored!.record).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
    b.stop.abort();
    await clock.advance(5_000);
  });

  it('lets a restarted replica of the same identity carry on without waiting for expiry', async () => {
    const lease = new MemoryLease();
    const clock = new FakeClock();
    const events: string[] = [];
    const first = replica(lease, clock, 'pod-0', events);
    await clock.advance(3_000);
    first.health.down = true; // crashed
    const again = replica(lease, clock, 'pod-0', events);
    await clock.advance(100);
    expect(again.elector.isLeader).toBe(true);
    expect(lease.stored!.record).toMatchObject({ holderIdentity: 'pod-0', leaseTransitions: 0 });
    for (const r of [first, again]) r.stop.abort();
    await clock.advance(10_000);
  });

  it('never lets two candidates win the same expired lease', async () => {
    const lease = new MemoryLease();
    const clock = new FakeClock();
    const events: string[] = [];
    const a = replica(lease, clock, 'a', events);
    await clock.advance(100);
    const b = replica(lease, clock, 'b', events);
    const c = replica(lease, clock, 'c', events);
    await clock.advance(1_000);
    a.health.down = true;
    await clock.advance(30_000);
    const leaders = [b, c].filter((r) => r.elector.isLeader);
    expect(leaders).toHaveLength(1);
    expect(events.filter((e) => e.endsWith('leads'))).toHaveLength(2);
    expect(lease.stored!.record.leaseTransitions).toBe(1);
    for (const r of [a, b, c]) r.stop.abort();
    await clock.advance(10_000);
  });

  it('refuses timings that break the ordering', () => {
    expect(() => validateTiming({ leaseDurationMs: 7_000, renewDeadlineMs: 7_000, retryPeriodMs: 2_000 })).toThrow(
      /leaseDurationSeconds must be greater than renewDeadlineSeconds/,
    );
    expect(() => validateTiming({ leaseDurationMs: 10_000, renewDeadlineMs: 2_000, retryPeriodMs: 2_000 })).toThrow(
      /renewDeadlineSeconds must be greater than retryPeriodSeconds/,
    );
  });
});
