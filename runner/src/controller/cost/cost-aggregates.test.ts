import { describe, expect, it } from '@jest/globals';
import { costPerDay, costPerRepository, type CostedJob } from './cost-aggregates.js';

const at = (iso: string) => Date.parse(iso);
const jobs: CostedJob[] = [
  { repo: 'o/a', startMs: at('2026-03-01T23:59:59Z'), amount: 0.1, billedSeconds: 100 },
  { repo: 'o/a', startMs: at('2026-03-02T00:00:00Z'), amount: 0.2, billedSeconds: 200 },
  { repo: 'o/b', startMs: at('2026-03-02T12:00:00Z'), amount: 0.05, billedSeconds: 50 },
];

describe('cost aggregates', () => {
  it('sums per repository, highest first', () => {
    expect(costPerRepository(jobs)).toEqual([
      { repo: 'o/a', jobs: 2, billedSeconds: 300, amount: 0.3 }, // 0.1 + 0.2
      { repo: 'o/b', jobs: 1, billedSeconds: 50, amount: 0.05 },
    ]);
  });

  it('sums per UTC day, oldest first, optionally for one repository', () => {
    expect(costPerDay(jobs)).toEqual([
      { day: '2026-03-01', jobs: 1, billedSeconds: 100, amount: 0.1 },
      { day: '2026-03-02', jobs: 2, billedSeconds: 250, amount: 0.25 }, // 0.2 + 0.05
    ]);
    expect(costPerDay(jobs, 'o/b')).toEqual([{ day: '2026-03-02', jobs: 1, billedSeconds: 50, amount: 0.05 }]);
  });
});
