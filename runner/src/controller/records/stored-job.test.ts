import { describe, expect, it } from '@jest/globals';
import type { JobEvent } from '@eci-virtual/contract';
import { mergeEvents } from './stored-job.js';

const je = (reason: string, at: string, message = ''): JobEvent => ({ at, type: 'Normal', reason, message });

describe('mergeEvents', () => {
  it('adds only new events, sorted, stable for same-instant events, keeping the newest `max`', () => {
    const a = je('Created', '2026-01-01T00:00:02.000Z');
    const b = je('Started', '2026-01-01T00:00:02.000Z');
    const c = je('RunnerExited', '2026-01-01T00:00:09.000Z');
    const s = je('Scheduled', '2026-01-01T00:00:01.000Z');
    expect(mergeEvents([a, c], [s, a, b, { ...a }])).toEqual([s, a, b, c]);
    expect(mergeEvents([a, c], [s, b], 2)).toEqual([b, c]);
  });
});
