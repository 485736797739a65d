import { describe, expect, it } from '@jest/globals';
import { JobTable, type EmuJob } from './state.js';

const job = (id: number, runId: number, extra: Partial<EmuJob> = {}) => ({ id, run_id: runId, ...extra }) as EmuJob;

describe('JobTable', () => {
  it("keeps each run's jobs at hand as jobs are added, replaced and removed", () => {
    const t = new JobTable();
    t.set(1, job(1, 10)).set(2, job(2, 20)).set(3, job(3, 10));
    expect(t.ofRun(10).map((j) => j.id)).toEqual([1, 3]);
    expect(t.ofRun(20).map((j) => j.id)).toEqual([2]);
    expect(t.ofRun(30)).toEqual([]);
    // A job written again (a new object for the same id) replaces the old one in its run.
    t.set(1, job(1, 10, { status: 'completed' }));
    expect(t.ofRun(10).map((j) => [j.id, j.status])).toEqual([
      [3, undefined],
      [1, 'completed'],
    ]);
    expect(t.delete(3)).toBe(true);
    expect(t.delete(3)).toBe(false);
    expect(t.ofRun(10).map((j) => j.id)).toEqual([1]);
    expect(t.size).toBe(2);
    t.clear();
    expect(t.ofRun(10)).toEqual([]);
  });
});
