import { describe, expect, it } from '@jest/globals';
import { CleanedSlots } from './cleaned-slots.js';

const pod = (uid: string) => ({ metadata: { uid } });

describe('CleanedSlots', () => {
  it('covers a slot cleaned moments ago whose pod is gone or is the one that cleanup deleted', () => {
    const clock = { t: 1_000 };
    const s = new CleanedSlots({ memoryMs: 120_000, max: 10 }, () => clock.t);
    s.note('42', 'uid-1');
    clock.t = 2_000;
    expect(s.coveredFor('42', undefined)).toBe(true);
    // The deleted pod lingers in the informer while it terminates: still nothing to clean.
    expect(s.coveredFor('42', pod('uid-1'))).toBe(true);
  });

  it('does not cover a new pod of the slot, a slot never cleaned, or a cleanup long past', () => {
    const clock = { t: 1_000 };
    const s = new CleanedSlots({ memoryMs: 120_000, max: 10 }, () => clock.t);
    s.note('42', 'uid-1');
    // A cleanup that found no pod covers only the absence of one.
    s.note('44', undefined);
    clock.t = 2_000;
    expect(s.coveredFor('42', pod('uid-2'))).toBe(false);
    expect(s.coveredFor('43', undefined)).toBe(false);
    expect(s.coveredFor('44', pod('uid-3'))).toBe(false);
    clock.t = 121_000;
    expect(s.coveredFor('42', undefined)).toBe(false);
  });

  it('remembers at most `max` slots, forgetting the oldest', () => {
    const clock = { t: 1_000 };
    const s = new CleanedSlots({ memoryMs: 120_000, max: 2 }, () => clock.t);
    s.note('1', undefined);
    s.note('2', undefined);
    clock.t = 1_500;
    s.note('1', undefined); // cleaned again: newest now
    clock.t = 2_000;
    s.note('3', undefined);
    expect(s.coveredFor('2', undefined)).toBe(false);
    expect(s.coveredFor('1', undefined)).toBe(true);
    expect(s.coveredFor('3', undefined)).toBe(true);
  });
});
