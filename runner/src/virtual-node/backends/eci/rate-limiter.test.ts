import { describe, expect, it } from '@jest/globals';
import {
  CALLS_PER_MINUTE,
  eciRateLimits,
  EXEC_LOG_CALLS_PER_MINUTE,
  LATENCY_GUARD_MS,
  LIFECYCLE_BURST,
  LIFECYCLE_PER_MINUTE,
  limiterFor,
  LOG_SHARE_PER_MINUTE,
  SlidingWindow,
  TokenBucket,
  UNPUBLISHED_BURST,
  type CallLimiter,
} from './rate-limiter.js';

/** A client that starts a call whenever `limiter` lets it, for `ms` of fake time in 10 ms steps → start times. */
function greedy(limiter: CallLimiter, clock: { t: number }, ms: number): number[] {
  const starts: number[] = [];
  for (; clock.t <= ms; clock.t += 10) while (limiter.tryTake() === 0) starts.push(clock.t);
  return starts;
}

/** The most starts that fall in any window of `windowMs` (half-open, [s, s + windowMs)). */
function busiestWindow(starts: number[], windowMs: number): number {
  let most = 0;
  for (let i = 0, j = 0; i < starts.length; i++) {
    while (starts[j]! <= starts[i]! - windowMs) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

describe('ECI rate limits', () => {
  it('allows the create/delete burst less a second of refill, then 20/s', () => {
    let t = 0;
    const limits = eciRateLimits(() => t);
    for (let i = 0; i < 80; i++) expect(limits.lifecycle.tryTake()).toBe(0);
    expect(limits.lifecycle.tryTake()).toBe(50); // 20/s → next token in 50 ms
    t += 1000;
    for (let i = 0; i < 20; i++) expect(limits.lifecycle.tryTake()).toBe(0);
    expect(limits.lifecycle.tryTake()).toBeGreaterThan(0);
    // Sent in ~0 s and counted by the server over the next second, the burst plus that second's 20 is its 100.
    const clock = { t: 0 };
    const starts = greedy(eciRateLimits(() => clock.t).lifecycle, clock, 1_000 - 10);
    expect(starts.length).toBeLessThanOrEqual(LIFECYCLE_BURST);
  });

  it('holds creates and deletes to 1000 each in any minute, on top of the bucket they share', () => {
    const clock = { t: 0 };
    const limits = eciRateLimits(() => clock.t);
    const starts = greedy(limiterFor(limits, 'CreateContainerGroup'), clock, 180_000);
    expect(busiestWindow(starts, 60_000)).toBe(LIFECYCLE_PER_MINUTE);
    // 80 at once, then 20/s: the thousandth starts at 46 s, the next only when the first leaves the guarded minute.
    expect(starts.filter((s) => s < 61_000)).toHaveLength(1000);
    expect(starts[1000]).toBe(60_000 + LATENCY_GUARD_MS);
    // Deletes count in a minute of their own, but take from the same bucket.
    const fresh = eciRateLimits(() => clock.t);
    while (limiterFor(fresh, 'CreateContainerGroup').tryTake() === 0);
    expect(limiterFor(fresh, 'DeleteContainerGroup').tryTake()).toBeGreaterThan(0);
    clock.t += 1_000;
    expect(limiterFor(fresh, 'DeleteContainerGroup').tryTake()).toBe(0);
  });

  it('holds exec calls to 500 in any 60 s window, where a 500/min token bucket lets ~1000 through', () => {
    const clock = { t: 0 };
    const starts = greedy(eciRateLimits(() => clock.t).exec, clock, 180_000);
    expect(busiestWindow(starts, 60_000)).toBe(EXEC_LOG_CALLS_PER_MINUTE);
    expect(starts.filter((s) => s < 60_000)).toHaveLength(500);
    expect(starts.length).toBeGreaterThanOrEqual(1_000); // and it does not hold back more than that: 500 per window
    // The old limiter (bucket of 500, refilled 500/60 s): the burst plus a minute of refill.
    const old = { t: 0 };
    const bucket = greedy(new TokenBucket(500, 500 / 60, () => old.t), old, 180_000);
    expect(busiestWindow(bucket, 60_000)).toBeGreaterThanOrEqual(990);
  });

  it('waits until the oldest call leaves the window, with a guard for latency', () => {
    let t = 0;
    const exec = eciRateLimits(() => t).exec;
    for (let i = 0; i < 500; i++) {
      expect(exec.tryTake()).toBe(0);
      t += 10; // 500 calls over 5 s
    }
    expect(exec.tryTake()).toBe(60_000 + LATENCY_GUARD_MS - 5_000); // the first one leaves at 61 s
    t = 60_000 + LATENCY_GUARD_MS;
    expect(exec.tryTake()).toBe(0);
    expect(exec.tryTake()).toBe(10); // the second leaves 10 ms later
  });

  it('lets log polling use at most 400 of the 500 a minute, so exec always keeps 100', () => {
    let t = 0;
    const limits = eciRateLimits(() => t);
    let logs = 0;
    while (limits.logs.tryTake() === 0) logs++;
    expect(logs).toBe(LOG_SHARE_PER_MINUTE);
    for (let i = 0; i < 50; i++) expect(limits.logs.tryTake()).toBeGreaterThan(0); // refused polls count nowhere
    let execs = 0;
    while (limits.exec.tryTake() === 0) execs++;
    expect(execs).toBe(EXEC_LOG_CALLS_PER_MINUTE - LOG_SHARE_PER_MINUTE);
    t = 61_000;
    // Exec may use the whole quota when nobody polls logs — and then log polls wait too.
    execs = 0;
    while (limits.exec.tryTake() === 0) execs++;
    expect(execs).toBe(500);
    expect(limits.logs.tryTake()).toBeGreaterThan(0);
  });

  it('gives each operation with a published per-minute quota its own, so one cannot starve another', () => {
    let t = 0;
    const limits = eciRateLimits(() => t);
    const burst = (action: string) => {
      let n = 0;
      while (limiterFor(limits, action).tryTake() === 0) n++;
      return n;
    };
    // A node with 1000 pods reads their metrics (usage for /stats/summary): that used to take the describe budget the
    // status poller needed (one shared bucket of 10/s), and pods showed Running up to ~30 s late in a fleet run.
    expect(burst('DescribeContainerGroupMetric')).toBe(2000);
    expect(burst('DescribeContainerGroups')).toBe(2000);
    expect(burst('DescribeContainerGroupStatus')).toBe(10_000);
    expect(CALLS_PER_MINUTE.CreateImageCache).toBe(200);
    // The rest of the minute (and the latency guard) nothing more of them starts; then a full quota again.
    t = 60_000;
    expect(limiterFor(limits, 'DescribeContainerGroups').tryTake()).toBe(LATENCY_GUARD_MS);
    t = 60_000 + LATENCY_GUARD_MS;
    expect(burst('DescribeContainerGroups')).toBe(2000);
    // Operations no page gives a quota for share a bucket of our own; create and delete keep theirs.
    expect(burst('DescribeImageCaches') + burst('DeleteImageCache')).toBe(UNPUBLISHED_BURST);
    expect(limiterFor(limits, 'CreateContainerGroup')).toBe(limits.create);
    expect(limiterFor(limits, 'DeleteContainerGroup')).toBe(limits.delete);
    expect(limiterFor(limits, 'ExecContainerCommand')).toBe(limits.exec);
    expect(limiterFor(limits, 'DescribeContainerLog')).toBe(limits.logs);
  });

  it('waits for a slot and can be cancelled', async () => {
    let t = 0;
    const b = new TokenBucket(1, 10, () => t);
    await b.take();
    const waits: number[] = [];
    const fakeSleep = async (ms: number) => {
      waits.push(ms);
      t += ms;
    };
    await b.take(undefined, fakeSleep);
    expect(waits).toEqual([100]);
    const w = new SlidingWindow(2, 1_000, () => t);
    await w.take(undefined, fakeSleep);
    await w.take(undefined, fakeSleep);
    await w.take(undefined, fakeSleep);
    expect(waits).toEqual([100, 1_000]);
    const abort = new AbortController();
    abort.abort();
    await expect(b.take(abort.signal)).rejects.toThrow(/cancelled/);
    await expect(w.take(abort.signal)).rejects.toThrow(/cancelled/);
  });
});
