import { describe, expect, it } from '@jest/globals';
import { hotSets } from './hot-images.js';
import type { ImageUse } from './types.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-03-09T00:00:00Z');
const use = (repo: string, images: string[], daysAgo: number, extra: Partial<ImageUse> = {}): ImageUse => ({
  repo,
  at: NOW - daysAgo * DAY,
  images: images.map((ref) => ({ ref, role: 'job' })),
  ...extra,
});

describe('hot image sets', () => {
  it('weighs uses by age (half-life) and by what a miss costs', () => {
    const sets = hotSets(
      [
        use('o/a', ['node:20', 'runner'], 0, { fromCache: false, prepSeconds: 60 }),
        use('o/a', ['runner', 'node:20'], 2, { fromCache: true, prepSeconds: 2 }), // same set, other order
        use('o/b', ['alpine'], 0),
      ],
      { now: NOW, halfLifeMs: 2 * DAY, defaultMissSeconds: 30 },
    );
    // o/a: (1 + 0.5) uses × 60 s (the one uncached preparation seen) = 90; o/b: 1 × 30 (default) = 30
    expect(sets.map((s) => [s.repo, s.images, s.weight, s.uses, s.missSeconds])).toEqual([
      ['o/a', ['node:20', 'runner'], 90, 2, 60],
      ['o/b', ['alpine'], 30, 1, 30],
    ]);
  });

  it('keeps repositories apart', () => {
    const sets = hotSets([use('o/a', ['x'], 0), use('o/b', ['x'], 0)], { now: NOW });
    expect(sets.map((s) => s.repo).sort()).toEqual(['o/a', 'o/b']);
  });
});
