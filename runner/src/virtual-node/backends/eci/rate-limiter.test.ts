import { describe, expect, it } from '@jest/globals';
import { eciRateLimits, TokenBucket } from './rate-limiter.js';

describe('ECI rate limits', () => {
  it('allows the burst, then the refill rate', () => {
    let t = 0;
    const limits = eciRateLimits(() => t);
    for (let i = 0; i < 100; i++) expect(limits.lifecycle.tryTake()).toBe(0);
    expect(limits.lifecycle.tryTake()).toBe(50); // 20/s → next token in 50 ms
    t += 1000;
    for (let i = 0; i < 20; i++) expect(limits.lifecycle.tryTake()).toBe(0);
    expect(limits.lifecycle.tryTake()).toBeGreaterThan(0);
  });

  it('holds exec/log calls to 500 per minute', () => {
    let t = 0;
    const b = eciRateLimits(() => t).streams;
    for (let i = 0; i < 500; i++) b.tryTake();
    expect(b.tryTake()).toBe(120); // 500/min → one per 120 ms
    t += 60_000;
    let n = 0;
    while (b.tryTake() === 0) n++;
    expect(n).toBe(500);
  });

  it('waits for a token and can be cancelled', async () => {
    let t = 0;
    const b = new TokenBucket(1, 10, () => t);
    await b.take();
    const waits: number[] = [];
    await b.take(undefined, async (ms) => {
      waits.push(ms);
      t += ms;
    });
    expect(waits).toEqual([100]);
    const abort = new AbortController();
    abort.abort();
    await expect(b.take(abort.signal)).rejects.toThrow(/cancelled/);
  });
});
