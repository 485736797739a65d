import { describe, expect, it } from '@jest/globals';
import { requestPacing, type RequestPacingOptions } from './request-pacing.js';

/** A failed GitHub answer as Octokit throws it. */
const failure = (status: number | undefined, headers: Record<string, string> = {}, message = 'failed') =>
  Object.assign(new Error(message), { status, response: { headers } });

function pacing(over: Partial<RequestPacingOptions> = {}) {
  const waits: number[] = [];
  const pace = requestPacing({
    maxConcurrentRequests: 3,
    maxConcurrentWrites: 2,
    retries: 2,
    maxRateLimitWaitSeconds: 120,
    now: () => 1_000_000_000_000,
    wait: async (ms) => void waits.push(ms),
    ...over,
  });
  return { pace, waits };
}

/** A request that stays in flight until released, counting how many are in flight. */
function gate() {
  let inFlight = 0;
  let peak = 0;
  const release: (() => void)[] = [];
  const next = () => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    return new Promise<string>((resolve) =>
      release.push(() => {
        inFlight--;
        resolve('ok');
      }),
    );
  };
  return { next, release, peak: () => peak };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('GitHub request pacing', () => {
  it('keeps at most maxConcurrentRequests calls in flight, writes at most maxConcurrentWrites', async () => {
    const { pace } = pacing();
    const reads = gate();
    const all = Array.from({ length: 7 }, () => pace(reads.next, { method: 'GET', url: '/repos/o/r/actions/runs' }));
    await flush();
    expect(reads.release).toHaveLength(3);
    while (reads.release.length) {
      reads.release.shift()!();
      await flush();
    }
    await expect(Promise.all(all)).resolves.toEqual(Array(7).fill('ok'));
    expect(reads.peak()).toBe(3);

    const writes = gate();
    const posts = Array.from({ length: 5 }, () =>
      pace(writes.next, { method: 'POST', url: '/repos/o/r/actions/runners/generate-jitconfig' }),
    );
    await flush();
    expect(writes.release).toHaveLength(2);
    while (writes.release.length) {
      writes.release.shift()!();
      await flush();
    }
    await Promise.all(posts);
    expect(writes.peak()).toBe(2);
  });

  it('lets an installation token request through when every slot is taken (no deadlock)', async () => {
    const { pace } = pacing({ maxConcurrentRequests: 1 });
    const held = gate();
    const first = pace(held.next, { method: 'GET', url: '/repos/o/r' });
    await flush();
    const token = await pace(async () => 'token', { method: 'POST', url: '/app/installations/7/access_tokens' });
    expect(token).toBe('token');
    held.release.shift()!();
    await first;
  });

  it('retries 5xx and network failures with doubling backoff, up to `retries`', async () => {
    const { pace, waits } = pacing();
    let calls = 0;
    const flaky = async () => {
      calls++;
      if (calls < 3) throw failure(calls === 1 ? 502 : undefined);
      return 'ok';
    };
    await expect(pace(flaky, { method: 'GET', url: '/x' })).resolves.toBe('ok');
    expect(calls).toBe(3);
    expect(waits).toEqual([500, 1000]);

    let broken = 0;
    const down = async () => {
      broken++;
      throw failure(503);
    };
    await expect(pace(down, { method: 'GET', url: '/x' })).rejects.toMatchObject({ status: 503 });
    expect(broken).toBe(3);
  });

  it('does not retry client errors', async () => {
    const { pace, waits } = pacing();
    for (const status of [400, 401, 403, 404, 409, 422]) {
      let calls = 0;
      const denied = async () => {
        calls++;
        throw failure(status);
      };
      await expect(pace(denied, { method: 'DELETE', url: '/x' })).rejects.toMatchObject({ status });
      expect(calls).toBe(1);
    }
    expect(waits).toEqual([]);
  });

  it('waits a secondary limit out twice (retry-after, else a minute), then gives up', async () => {
    const seen: unknown[] = [];
    const { pace, waits } = pacing({ onRateLimit: (i) => seen.push(i) });
    let calls = 0;
    const limited = async () => {
      calls++;
      throw calls === 1
        ? failure(403, { 'retry-after': '7' }, 'You have exceeded a secondary rate limit')
        : failure(429, {}, 'You have exceeded a secondary rate limit');
    };
    await expect(pace(limited, { method: 'GET', url: '/x' })).rejects.toMatchObject({ status: 429 });
    expect(calls).toBe(3);
    expect(waits).toEqual([7_000, 60_000]);
    expect(seen).toEqual([
      { kind: 'secondary', route: 'GET /x', waitSeconds: 7, retry: true },
      { kind: 'secondary', route: 'GET /x', waitSeconds: 60, retry: true },
      { kind: 'secondary', route: 'GET /x', waitSeconds: 60, retry: false },
    ]);
  });

  it('waits a short primary reset out once; a long one fails at once without a second request', async () => {
    const nowMs = 1_000_000_000_000;
    const { pace, waits } = pacing();
    let calls = 0;
    const soon = async () => {
      calls++;
      if (calls === 1)
        throw failure(403, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(nowMs / 1000 + 5) });
      return 'ok';
    };
    await expect(pace(soon, { method: 'GET', url: '/x' })).resolves.toBe('ok');
    expect(waits).toEqual([6_000]);

    let later = 0;
    const hourAway = async () => {
      later++;
      throw failure(429, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(nowMs / 1000 + 3600) });
    };
    await expect(pace(hourAway, { method: 'GET', url: '/x' })).rejects.toMatchObject({ status: 429 });
    expect(later).toBe(1);
    expect(waits).toEqual([6_000]);
  });
});
