import { describe, expect, it } from '@jest/globals';
import { CleanedSlots } from './cleaned-slots.js';

const pod = (uid: string) => ({ metadata: { uid } });

describe('CleanedSlots', () => {
  it('covers a slot cleaned moments ago whose pod is gone or is the one that cleanup deleted', () => {
    const s = new CleanedSlots({ memoryMs: 120_000, max: 10 });
    s.note('42', 'uid-1', 1_000);
    expect(s.coveredFor('42', undefined, 2_000)).toBe(true);
    // The deleted pod lingers in the informer while it terminates: still nothing to clean.
    expect(s.coveredFor('42', pod('uid-1'), 2_000)).toBe(true);
  });

  it('does not cover a new pod of the slot, a slot never cleaned, or a cleanup long past', () => {
    const s = new CleanedSlots({ memoryMs: 120_000, max: 10 });
    s.note('42', 'uid-1', 1_000);
    expect(s.coveredFor('42', pod('uid-2'), 2_000)).toBe(false);
    expect(s.coveredFor('43', undefined, 2_000)).toBe(false);
    expect(s.coveredFor('42', undefined, 121_000)).toBe(false);
    // A cleanup that found no pod covers only the absence of one.
    s.note('44', undefined, 1_000);
    expect(s.coveredFor('44', pod('uid-3'), 2_000)).toBe(false);
  });

  it('remembers at most `max` slots, forgetting the oldest', () => {
    const s = new CleanedSlots({ memoryMs: 120_000, max: 2 });
    s.note('1', undefined, 1_000);
    s.note('2', undefined, 1_000);
    s.note('1', undefined, 1_500); // cleaned again: newest now
    s.note('3', undefined, 2_000);
    expect(s.coveredFor('2', undefined, 2_000)).toBe(false);
    expect(s.coveredFor('1', undefined, 2_000)).toBe(true);
    expect(s.coveredFor('3', undefined, 2_000)).toBe(true);
  });
});
