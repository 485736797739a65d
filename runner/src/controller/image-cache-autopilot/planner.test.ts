import { describe, expect, it } from '@jest/globals';
import type { HotSet, LearnedImage } from './hot-images.js';
import { KANIKO_BASE_REASON, binName, digestLabel, plan, type PlanInput } from './planner.js';
import { LABEL, type WarmSet } from './types.js';

const NOW = Date.parse('2026-03-09T12:00:00Z');
const hot = (repo: string, images: string[], weight: number, uses = 5): HotSet => ({
  repo,
  images: [...images].sort(),
  weight,
  uses,
  lastUsed: NOW,
  missSeconds: 60,
});
const set = (id: string, repo: string, images: string[], over: Partial<WarmSet> = {}): WarmSet => ({
  id,
  name: binName(repo, [...images].sort()),
  images: [...images].sort(),
  state: 'ready',
  createdAt: NOW - 3_600_000,
  labels: { [LABEL.managedBy]: 'true', [LABEL.repo]: repo },
  ...over,
});
const input = (over: Partial<PlanInput>): PlanInput => ({
  now: NOW,
  hot: [],
  existing: [],
  overrides: () => undefined,
  digests: new Map(),
  limits: { quota: 50, maxSets: 10, maxTotalGiB: 1000, maxImagesPerSet: 20, minWeight: 10 },
  sizeGiB: () => 20,
  ...over,
});
const summary = (ds: ReturnType<typeof plan>) =>
  ds.filter((d) => d.action !== 'skip').map((d) => `${d.action} ${d.repo} ${d.setId ?? d.images.join('+')}`);

describe('autopilot planner', () => {
  it('creates a cache per hot repository, packing its pod image sets together', () => {
    const ds = plan(
      input({
        hot: [
          hot('o/a', ['runner', 'node:20'], 100),
          hot('o/a', ['runner', 'postgres'], 50),
          hot('o/b', ['runner', 'go'], 80),
        ],
      }),
    );
    expect(summary(ds)).toEqual(['create o/a node:20+postgres+runner', 'create o/b go+runner']);
    expect(ds.find((d) => d.repo === 'o/a')!.labels).toEqual({ [LABEL.managedBy]: 'true', [LABEL.repo]: 'o/a' });
  });

  it('keeps a set that holds all the images of a bin, and retires one that serves nothing', () => {
    const ds = plan(
      input({
        hot: [hot('o/a', ['runner', 'node:20'], 100)],
        existing: [set('imc-1', 'o/a', ['runner', 'node:20', 'extra']), set('imc-2', 'o/c', ['runner', 'ruby'])],
      }),
    );
    expect(summary(ds)).toEqual(['retire o/c imc-2', 'keep o/a imc-1']);
    expect(ds.find((d) => d.setId === 'imc-2')!.reason).toMatch(/^cold/);
  });

  it('does not cache a one-off set or a light one', () => {
    const ds = plan(input({ hot: [hot('o/a', ['x'], 500, 1), hot('o/a', ['y'], 5)] }));
    expect(summary(ds)).toEqual([]);
    expect(ds.map((d) => d.reason)).toEqual(['not hot: 1 use in the window', 'cold: weight below the minimum']);
  });

  it('refreshes a set when a digest moved, and retires the old one once the new one is ready', () => {
    const images = ['node:20', 'runner'];
    const before = new Map([
      ['node:20', 'sha256:a'],
      ['runner', 'sha256:r'],
    ]);
    const after = new Map([
      ['node:20', 'sha256:b'],
      ['runner', 'sha256:r'],
    ]);
    const old = set('imc-old', 'o/a', images, {
      labels: { [LABEL.repo]: 'o/a', [LABEL.digests]: digestLabel(images, before)! },
    });
    const first = plan(
      input({ hot: [hot('o/a', images, 100)], existing: [old], digests: after, previousDigests: before }),
    );
    expect(summary(first)).toEqual(['keep o/a imc-old', 'refresh o/a imc-old']);
    expect(first[1]!.reason).toBe('moved tag: node:20 has a new digest');
    expect(first[1]!.labels![LABEL.digests]).toBe(digestLabel(images, after));

    const fresh = set('imc-new', 'o/a', images, {
      createdAt: NOW,
      labels: { [LABEL.repo]: 'o/a', [LABEL.digests]: digestLabel(images, after)! },
    });
    const preparing = plan(
      input({ hot: [hot('o/a', images, 100)], existing: [old, { ...fresh, state: 'pending' }], digests: after }),
    );
    expect(summary(preparing)).toEqual(['wait o/a imc-new', 'keep o/a imc-old']);
    const ready = plan(input({ hot: [hot('o/a', images, 100)], existing: [old, fresh], digests: after }));
    expect(summary(ready)).toEqual(['retire o/a imc-old', 'keep o/a imc-new']);
  });

  it('never plans past the budget: a creation that does not fit evicts a set worth less, or is skipped', () => {
    const limits = { quota: 50, maxSets: 2, maxTotalGiB: 1000, maxImagesPerSet: 20, minWeight: 10 };
    const existing = [set('imc-a', 'o/a', ['a']), set('imc-b', 'o/b', ['b'])];
    // o/c (300) is hotter than o/b (50): o/b's set goes to make room.
    const ds = plan(
      input({ limits, existing, hot: [hot('o/a', ['a'], 500), hot('o/c', ['c'], 300), hot('o/b', ['b'], 50)] }),
    );
    expect(summary(ds)).toEqual(['keep o/a imc-a', 'retire o/b imc-b', 'create o/c c']);
    expect(ds.find((d) => d.action === 'skip' && d.repo === 'o/b')!.reason).toMatch(/^no room/);
    // o/d (20) is lighter than both: no room, skipped with its reason.
    const skipped = plan(
      input({ limits, existing, hot: [hot('o/a', ['a'], 500), hot('o/b', ['b'], 50), hot('o/d', ['d'], 20)] }),
    );
    expect(summary(skipped)).toEqual(['keep o/a imc-a', 'keep o/b imc-b']);
    expect(skipped.find((d) => d.repo === 'o/d')!.reason).toMatch(/^no room/);
  });

  it('counts GiB and the service quota as well as the number of sets', () => {
    const byGiB = plan(
      input({
        limits: { quota: 50, maxSets: 10, maxTotalGiB: 30, maxImagesPerSet: 20, minWeight: 10 },
        hot: [hot('o/a', ['a'], 100), hot('o/b', ['b'], 90)],
      }),
    );
    expect(summary(byGiB)).toEqual(['create o/a a']);
    const byQuota = plan(
      input({
        limits: { quota: 1, maxSets: 10, maxTotalGiB: 1000, maxImagesPerSet: 20, minWeight: 10 },
        hot: [hot('o/a', ['a'], 100), hot('o/b', ['b'], 90)],
      }),
    );
    expect(summary(byQuota)).toEqual(['create o/a a']);
  });

  it('honours the repository settings: autopilot off, and images its own cache already holds', () => {
    const ds = plan(
      input({
        hot: [hot('o/a', ['node:20'], 100), hot('o/b', ['go'], 100), hot('o/b', ['go', 'redis'], 100)],
        overrides: (repo) => (repo === 'o/a' ? { autopilot: false, images: [] } : { autopilot: true, images: ['go'] }),
      }),
    );
    expect(summary(ds)).toEqual(['create o/b go+redis']);
    expect(ds.filter((d) => d.action === 'skip').map((d) => d.reason)).toEqual([
      'imageCache.autopilot is off in the repository settings',
      'covered by imageCache.images in the repository settings',
    ]);
  });

  it('retires failed sets', () => {
    const ds = plan(input({ hot: [], existing: [set('imc-f', 'o/a', ['x'], { state: 'failed' })] }));
    expect(summary(ds)).toEqual(['retire o/a imc-f']);
  });
});

describe('autopilot planner: base images kaniko pulled', () => {
  const learned = (repo: string, ref: string, weight: number, uses: number): LearnedImage => ({
    repo,
    ref,
    role: 'kaniko-base',
    weight,
    uses,
    lastUsed: NOW,
  });

  it('learns them, with weight and uses, but never puts them in a set', () => {
    const ds = plan(
      input({
        hot: [hot('o/a', ['runner:2', 'kaniko:1'], 100)],
        learned: [learned('o/a', 'golang:1.23', 450.04, 9), learned('o/b', 'alpine:3.20', 3, 1)],
      }),
    );
    expect(summary(ds)).toEqual(['create o/a kaniko:1+runner:2']);
    expect(ds.flatMap((d) => (d.action === 'create' ? d.images : []))).not.toContain('golang:1.23');
    expect(ds.filter((d) => d.reason === KANIKO_BASE_REASON)).toEqual([
      {
        action: 'skip',
        repo: 'o/a',
        name: '',
        images: ['golang:1.23'],
        weight: 450,
        uses: 9,
        reason: KANIKO_BASE_REASON,
      },
      {
        action: 'skip',
        repo: 'o/b',
        name: '',
        images: ['alpine:3.20'],
        weight: 3,
        uses: 1,
        reason: KANIKO_BASE_REASON,
      },
    ]);
  });

  it('learns nothing for a repository that switched the autopilot off', () => {
    const ds = plan(
      input({
        learned: [learned('o/a', 'golang:1.23', 450, 9)],
        overrides: (repo) => (repo === 'o/a' ? { autopilot: false, images: [] } : undefined),
      }),
    );
    expect(ds).toEqual([]);
  });
});
