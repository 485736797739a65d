import { describe, expect, it } from '@jest/globals';
import { hotSets, learnedKanikoBases } from './hot-images.js';
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

describe('base images kaniko pulled', () => {
  const build = (repo: string, daysAgo: number, bases: string[]): ImageUse => ({
    repo,
    at: NOW - daysAgo * DAY,
    images: [
      { ref: 'runner:2', role: 'runner' },
      { ref: 'kaniko:1', role: 'runner' },
      ...bases.map((ref) => ({ ref, role: 'kaniko-base' as const })),
    ],
    fromCache: false,
    prepSeconds: 20,
  });
  const history = [
    build('o/a', 0, ['golang:1.23', 'alpine:3.20']),
    build('o/a', 2, ['golang:1.23']),
    build('o/b', 0, ['golang:1.23', 'golang:1.23']),
  ];

  it('are no part of a pod image set: the pods of both builds of o/a share one set', () => {
    const sets = hotSets(history, { now: NOW, halfLifeMs: 2 * DAY });
    expect(sets.map((s) => [s.repo, s.images, s.uses])).toEqual([
      ['o/a', ['kaniko:1', 'runner:2'], 2],
      ['o/b', ['kaniko:1', 'runner:2'], 1],
    ]);
  });

  it('are learnt per repository, one use per job, weighed by decayed uses × the default miss seconds', () => {
    const learned = learnedKanikoBases(history, { now: NOW, halfLifeMs: 2 * DAY, defaultMissSeconds: 30 });
    // o/a golang: (1 + 0.5) × 30 = 45; alpine and o/b's golang (listed twice in one job): 1 × 30 = 30
    expect(learned.map((l) => [l.repo, l.ref, l.role, l.weight, l.uses, l.lastUsed])).toEqual([
      ['o/a', 'golang:1.23', 'kaniko-base', 45, 2, NOW],
      ['o/a', 'alpine:3.20', 'kaniko-base', 30, 1, NOW],
      ['o/b', 'golang:1.23', 'kaniko-base', 30, 1, NOW],
    ]);
    expect(learnedKanikoBases([use('o/c', ['node:20'], 0)], { now: NOW })).toEqual([]);
  });
});
