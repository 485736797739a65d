import { describe, expect, it } from '@jest/globals';
import type { PodRef, PodUsage } from '../backend.js';
import { UsageCache } from './usage-cache.js';

const refs = (n: number): PodRef[] =>
  Array.from({ length: n }, (_, i) => ({ namespace: 'ns', name: `p${i}`, uid: `u${i}` }));
const usageOf = (ref: PodRef, cpu = 1): PodUsage => ({
  ref,
  time: new Date(0),
  containers: [{ name: 'c', cpuUsageCoreNanoSeconds: cpu, memoryWorkingSetBytes: 1 }],
});

/** A fetch that counts calls, the most in flight at once, and answers after `ms`. */
function countingFetch(ms = 1, fail = new Set<string>()) {
  const s = { calls: new Map<string, number>(), inFlight: 0, maxInFlight: 0 };
  const fetch = async (ref: PodRef) => {
    s.calls.set(ref.uid, (s.calls.get(ref.uid) ?? 0) + 1);
    s.inFlight++;
    s.maxInFlight = Math.max(s.maxInFlight, s.inFlight);
    await new Promise((r) => setTimeout(r, ms));
    s.inFlight--;
    if (fail.has(ref.uid)) throw new Error(`no metric for ${ref.uid}`);
    return usageOf(ref);
  };
  return { s, fetch };
}

describe('UsageCache', () => {
  it('asks each pod once per refresh, at most 4 in flight, and answers later scrapes from the cache', async () => {
    const { s, fetch } = countingFetch();
    const cache = new UsageCache({ fetch });
    const pods = refs(50);
    expect(await cache.usage(pods)).toHaveLength(50);
    expect(s.maxInFlight).toBe(4);
    expect([...s.calls.values()].every((n) => n === 1)).toBe(true);
    // Two scrapes within maxAge: no call at all.
    await cache.usage(pods);
    await cache.usage(pods);
    expect([...s.calls.values()].reduce((a, b) => a + b, 0)).toBe(50);
  });

  it('concurrent scrapes share one refresh', async () => {
    const { s, fetch } = countingFetch(5);
    const cache = new UsageCache({ fetch });
    const pods = refs(12);
    const answers = await Promise.all([cache.usage(pods), cache.usage(pods), cache.usage(pods)]);
    expect(answers.map((a) => a.length)).toEqual([12, 12, 12]);
    expect(s.calls.size).toBe(12);
    expect([...s.calls.values()].every((n) => n === 1)).toBe(true);
  });

  it('answers after answerWithinMs with what it has while the refresh goes on', async () => {
    const { s, fetch } = countingFetch(20);
    const cache = new UsageCache({ fetch, concurrency: 1, answerWithinMs: 50 });
    const pods = refs(20); // 20 × 20 ms one at a time: ~400 ms to refresh
    const t0 = performance.now();
    const first = await cache.usage(pods);
    expect(performance.now() - t0).toBeLessThan(300);
    expect(first.length).toBeGreaterThan(0);
    expect(first.length).toBeLessThan(20);
    // The next scrape does not start a second refresh beside the one running.
    await cache.usage(pods);
    await new Promise((r) => setTimeout(r, 600));
    expect(await cache.usage(pods)).toHaveLength(20);
    expect([...s.calls.values()].every((n) => n === 1)).toBe(true);
  });

  it('refreshes figures older than maxAgeMs, keeps the last figures of a failed call, forgets pods not asked for', async () => {
    let now = 0;
    const fail = new Set<string>();
    const { s, fetch } = countingFetch(1, fail);
    const errors: string[] = [];
    const cache = new UsageCache({ fetch, maxAgeMs: 30_000, now: () => now, onError: (ref) => errors.push(ref.uid) });
    const pods = refs(3);
    await cache.usage(pods);
    now = 29_999;
    await cache.usage(pods);
    expect(s.calls.get('u0')).toBe(1);
    now = 30_000;
    fail.add('u1');
    expect(await cache.usage(pods)).toHaveLength(3); // u1 failed: its last figures stay
    expect(s.calls.get('u0')).toBe(2);
    expect(errors).toEqual(['u1']);
    expect(await cache.usage(pods.slice(0, 1))).toHaveLength(1);
    expect(cache.size).toBe(1);
  });

  it('a pod whose first call fails has no figures (left out) and is asked again after maxAgeMs only', async () => {
    let now = 0;
    const { s, fetch } = countingFetch(1, new Set(['u0']));
    const cache = new UsageCache({ fetch, now: () => now });
    expect(await cache.usage(refs(2))).toHaveLength(1);
    await cache.usage(refs(2));
    expect(s.calls.get('u0')).toBe(1);
    now = 30_000;
    await cache.usage(refs(2));
    expect(s.calls.get('u0')).toBe(2);
  });
});
