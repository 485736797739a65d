import { describe, expect, it } from '@jest/globals';
import { recoveryTimes } from './recovery.js';

const s = (x: number) => x * 1000;

describe('recoveryTimes', () => {
  it('measures from the end of a fault to the next progress', () => {
    expect(recoveryTimes([{ startedAt: s(10), endedAt: s(15) }], [s(5), s(18), s(30)], s(100))).toEqual([3]);
  });

  it("does not count a later fault injected before progress resumed as the first one's recovery", () => {
    // A GitHub 5xx burst at 10 s (effective at once), the API server down 20–35 s, progress again at 50 s:
    // both recoveries are 15 s (from 35 s), not 40 s for the first.
    const faults = [
      { startedAt: s(10), endedAt: s(10) },
      { startedAt: s(20), endedAt: s(35) },
    ];
    expect(recoveryTimes(faults, [s(5), s(50)], s(100))).toEqual([25, 15]);
  });

  it('still counts a slow recovery when no other fault came', () => {
    expect(recoveryTimes([{ startedAt: s(10), endedAt: s(12) }], [s(52)], s(100))).toEqual([40]);
  });

  it('runs to the end of the workload when nothing progressed, and counts 0 for a fault after it', () => {
    expect(
      recoveryTimes(
        [
          { startedAt: s(10), endedAt: s(12) },
          { startedAt: s(90), endedAt: s(110) },
        ],
        [s(5)],
        s(100),
      ),
    ).toEqual([78, 0]);
  });
});
