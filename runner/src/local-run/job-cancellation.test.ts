import { describe, expect, it } from '@jest/globals';
import { JobCancellation } from './job-cancellation.js';

describe('JobCancellation', () => {
  it("marks the job cancelled before aborting, on the caller's signal", () => {
    const caller = new AbortController();
    const seen: string[] = [];
    const c = new JobCancellation({
      signal: caller.signal,
      onCancel: () => seen.push(`cancel, aborted=${c.signal.aborted}`),
      warn: (m) => seen.push(m),
    });
    c.start();
    caller.abort();
    c.stop();
    expect(seen).toEqual(['cancel, aborted=false']);
    expect(c.signal.aborted).toBe(true);
  });

  it('cancels with a warning after timeout-minutes, and not at all once stopped', async () => {
    const seen: string[] = [];
    const timed = new JobCancellation({
      timeoutMinutes: 0.0005,
      onCancel: () => seen.push('cancel'),
      warn: (m) => seen.push(m),
    });
    const stopped = new JobCancellation({
      timeoutMinutes: 0.0005,
      onCancel: () => seen.push('wrong'),
      warn: () => undefined,
    });
    timed.start();
    stopped.start();
    stopped.stop();
    await new Promise((r) => setTimeout(r, 100));
    timed.stop();
    expect(seen).toEqual(['job exceeded timeout-minutes (0.0005); cancelling', 'cancel']);
    expect(timed.signal.aborted).toBe(true);
    expect(stopped.signal.aborted).toBe(false);
  });

  it('fails the job from outside its steps without marking it cancelled; the first reason wins', () => {
    const seen: string[] = [];
    const c = new JobCancellation({ onCancel: () => seen.push('cancel'), warn: (m) => seen.push(m) });
    c.start();
    c.fail('services.db exited with code 0');
    c.fail('a later reason');
    c.stop();
    expect(c.signal.aborted).toBe(true);
    expect(c.failure).toBe('services.db exited with code 0');
    expect(seen).toEqual([]);
  });
});
