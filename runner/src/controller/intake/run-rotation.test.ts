import { describe, expect, it } from '@jest/globals';
import { RunRotation } from './run-rotation.js';

const none = () => false;

describe('RunRotation', () => {
  it('reads every run while there are no more than the limit', () => {
    const r = new RunRotation();
    expect(r.choose('o/r', [3, 1, 2], 3, none)).toEqual([3, 1, 2]);
    expect(r.choose('o/r', [3, 1, 2], 3, none)).toEqual([3, 1, 2]);
  });

  it('reads unknown new runs first, then known new runs, then the least recently read, oldest first', () => {
    const r = new RunRotation();
    const known = (id: number) => id === 1 || id === 2;
    // Round 1: of the never-read runs, 3 and 4 (nothing known of them) before 1 and 2.
    expect(r.choose('o/r', [1, 2, 3, 4], 2, known)).toEqual([3, 4]);
    // Round 2: the never-read 1 and 2.
    expect(r.choose('o/r', [1, 2, 3, 4], 2, known)).toEqual([1, 2]);
    // Round 3: a new run 5 comes first, then the least recently read (3, read in round 1).
    expect(r.choose('o/r', [1, 2, 3, 4, 5], 2, known)).toEqual([5, 3]);
    // Round 4: 4 (round 1), then 1 (round 2, older than 2).
    expect(r.choose('o/r', [1, 2, 3, 4, 5], 2, known)).toEqual([4, 1]);
  });

  it('reads every run within ceil(runs / limit) rounds', () => {
    const r = new RunRotation();
    const runs = Array.from({ length: 25 }, (_, i) => i + 1);
    const seen = new Set<number>();
    for (let round = 0; round < 3; round++) for (const id of r.choose('o/r', runs, 10, none)) seen.add(id);
    expect(seen.size).toBe(25);
  });

  it('keeps repositories apart (by name, whatever its case) and forgets runs that left the list', () => {
    const r = new RunRotation();
    expect(r.choose('o/a', [1, 2], 1, none)).toEqual([1]);
    expect(r.choose('o/b', [1, 2], 1, none)).toEqual([1]);
    expect(r.choose('O/A', [1, 2], 1, none)).toEqual([2]);
    // Run 1 left o/a's list and came back: it is new again, so it goes before 2.
    r.choose('o/a', [2], 1, none);
    expect(r.choose('o/a', [1, 2], 1, none)).toEqual([1]);
  });
});
