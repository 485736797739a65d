import { describe, expect, it } from '@jest/globals';
import { isTransientApiError, retryingReads, retryTransient } from './retrying.js';

/** As node-fetch reports a refused connection (client-node's transport), and as client-node reports an HTTP status. */
const refused = () =>
  Object.assign(new Error('connect ECONNREFUSED 10.88.0.1:16443'), {
    name: 'FetchError',
    type: 'system',
    code: 'ECONNREFUSED',
  });
const status = (code: number) => Object.assign(new Error(`HTTP-Code: ${code}`), { code });

describe('API reads through an API server restart', () => {
  it('tells transient failures (no answer, 5xx, 429) from final ones (4xx, bugs)', () => {
    expect(isTransientApiError(refused())).toBe(true);
    expect(isTransientApiError(status(503))).toBe(true);
    expect(isTransientApiError(status(429))).toBe(true);
    expect(isTransientApiError(new Error('Premature close'))).toBe(true);
    expect(isTransientApiError(status(404))).toBe(false);
    expect(isTransientApiError(status(403))).toBe(false);
    expect(isTransientApiError(new TypeError('x is undefined'))).toBe(false);
  });

  it('retries a read until the server is back, and gives up on a final answer at once', async () => {
    let calls = 0;
    const flaky = async () => {
      if (++calls < 4) throw refused();
      return 'pod';
    };
    await expect(retryTransient(flaky, { firstDelayMs: 1 })).resolves.toBe('pod');
    expect(calls).toBe(4);
    let notFound = 0;
    await expect(
      retryTransient(
        async () => {
          notFound++;
          throw status(404);
        },
        { firstDelayMs: 1 },
      ),
    ).rejects.toThrow('404');
    expect(notFound).toBe(1);
  });

  it('retries 401/403 (an API server that has just started) for a shorter while only', async () => {
    let calls = 0;
    const starting = async () => {
      if (++calls < 3) throw status(403);
      return 'pod';
    };
    await expect(retryTransient(starting, { firstDelayMs: 1 })).resolves.toBe('pod');
    let refused = 0;
    const forbidden = async () => {
      refused++;
      throw status(403);
    };
    await expect(retryTransient(forbidden, { refusedWithinMs: 30, firstDelayMs: 10, maxDelayMs: 10 })).rejects.toThrow(
      '403',
    );
    expect(refused).toBeLessThan(6);
  });

  it('stops retrying once its time is up', async () => {
    let calls = 0;
    const down = async () => {
      calls++;
      throw refused();
    };
    await expect(retryTransient(down, { withinMs: 30, firstDelayMs: 10, maxDelayMs: 10 })).rejects.toThrow(
      'ECONNREFUSED',
    );
    expect(calls).toBeGreaterThan(1);
    expect(calls).toBeLessThan(6);
  });

  it('wraps every method of an API object', async () => {
    let calls = 0;
    const api = {
      readNamespacedPod: async (arg: { name: string }) => {
        if (++calls === 1) throw status(502);
        return { name: arg.name };
      },
    };
    await expect(retryingReads(api, { firstDelayMs: 1 }).readNamespacedPod({ name: 'p' })).resolves.toEqual({
      name: 'p',
    });
    expect(calls).toBe(2);
  });
});
