import { describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import { createLogger } from '../../observability/logger.js';
import { createAutopilotMetrics } from './autopilot-metrics.js';
import { ImageCacheAutopilot } from './autopilot.js';
import { KANIKO_BASE_REASON } from './planner.js';
import type { ImageUse, WarmImageService, WarmSet, WarmSetRequest } from './types.js';

const NOW = Date.parse('2026-03-09T12:00:00Z');
const log = createLogger({}, { level: 'error' });

/** An in-memory warm-set service: sets are ready at once; `fail` makes creations throw. */
class MemoryService implements WarmImageService {
  readonly sets: WarmSet[] = [];
  fail = false;
  maxHeld = 0;
  constructor(readonly quota = 50) {}
  list(): Promise<WarmSet[]> {
    return Promise.resolve(this.sets.map((s) => ({ ...s })));
  }
  create(r: WarmSetRequest): Promise<string> {
    if (this.fail) return Promise.reject(new Error('CreateImageCache refused'));
    const id = `set-${this.sets.length + 1}-${r.name.slice(-4)}`;
    this.sets.push({ id, name: r.name, images: r.images, labels: r.labels, state: 'ready', createdAt: NOW });
    this.maxHeld = Math.max(this.maxHeld, this.sets.length);
    return Promise.resolve(id);
  }
  delete(id: string): Promise<void> {
    this.sets.splice(
      this.sets.findIndex((s) => s.id === id),
      1,
    );
    return Promise.resolve();
  }
}

const uses = (repo: string, images: string[], n: number): ImageUse[] =>
  Array.from({ length: n }, (_, i) => ({
    repo,
    at: NOW - i * 3_600_000,
    images: images.map((ref) => ({ ref, role: 'job' as const })),
    prepSeconds: 40,
    fromCache: false,
  }));

const budget = { maxSets: 2, maxTotalGiB: 100, maxImagesPerSet: 20, minWeight: 10 };

describe('image cache autopilot', () => {
  it('creates caches for the hottest repositories within the budget, logs why, and counts', async () => {
    const service = new MemoryService();
    const registry = new Registry();
    const history = [...uses('o/a', ['node:20'], 6), ...uses('o/b', ['go'], 4), ...uses('o/c', ['ruby'], 2)];
    const pilot = new ImageCacheAutopilot({
      history: { usesSince: () => Promise.resolve(history) },
      service,
      budget,
      log,
      metrics: createAutopilotMetrics(registry),
      now: () => NOW,
    });
    await pilot.pass();
    await pilot.pass();
    expect(service.sets.map((s) => s.images)).toEqual([['node:20'], ['go']]);
    expect(service.maxHeld).toBeLessThanOrEqual(budget.maxSets);
    const created = pilot.decisions.list({ actions: ['create'] });
    expect(created.map((d) => [d.repo, d.outcome, d.createdId !== undefined])).toEqual([
      ['o/a', 'done', true],
      ['o/b', 'done', true],
    ]);
    // o/c does not fit: skipped with the reason, logged once although both passes decided it.
    const skipped = pilot.decisions.list({ repo: 'o/c' });
    expect(skipped).toHaveLength(1);
    expect(skipped[0]).toMatchObject({ action: 'skip', repeats: 1 });
    expect(skipped[0]!.reason).toMatch(/^no room/);
    const metrics = await registry.getMetricsAsJSON();
    const passes = metrics.find((m) => m.name === 'eci_virtual_image_cache_autopilot_passes_total')!;
    expect(passes.values).toEqual([expect.objectContaining({ labels: { outcome: 'ok' }, value: 2 })]);
  });

  it("caches a building repository's pod images without kaniko's base images, and logs those as learnt", async () => {
    const service = new MemoryService();
    const build = (i: number, bases: string[]): ImageUse => ({
      repo: 'o/img',
      at: NOW - i * 3_600_000,
      images: [
        { ref: 'runner:2', role: 'runner' },
        { ref: 'kaniko:1', role: 'runner' },
        ...bases.map((ref) => ({ ref, role: 'kaniko-base' as const })),
      ],
      prepSeconds: 40,
      fromCache: false,
    });
    const history = [build(0, ['golang:1.23', 'alpine:3.20']), build(1, ['golang:1.23']), build(2, [])];
    const digests: string[] = [];
    const pilot = new ImageCacheAutopilot({
      history: { usesSince: () => Promise.resolve(history) },
      service,
      digests: { digest: (image) => (digests.push(image), Promise.resolve(undefined)) },
      budget,
      log,
      now: () => NOW,
    });
    await pilot.pass();
    history.push(build(3, ['golang:1.23']));
    await pilot.pass();
    expect(service.sets.map((s) => s.images)).toEqual([['kaniko:1', 'runner:2']]);
    expect(new Set(digests)).toEqual(new Set(['kaniko:1', 'runner:2']));
    const learnt = pilot.decisions.list({ repo: 'o/img' }).filter((d) => d.reason === KANIKO_BASE_REASON);
    // One entry per image, folded across passes, with the latest pass's uses.
    expect(learnt.map((d) => [d.action, d.images, d.uses, d.repeats ?? 0])).toEqual([
      ['skip', ['golang:1.23'], 3, 1],
      ['skip', ['alpine:3.20'], 1, 1],
    ]);
  });

  it('logs a failed creation and tries again next pass', async () => {
    const service = new MemoryService();
    service.fail = true;
    const pilot = new ImageCacheAutopilot({
      history: { usesSince: () => Promise.resolve(uses('o/a', ['node:20'], 3)) },
      service,
      budget,
      log,
      now: () => NOW,
    });
    const first = await pilot.pass();
    expect(first.decisions.find((d) => d.action === 'create')).toMatchObject({
      outcome: 'failed',
      error: expect.stringContaining('CreateImageCache refused'),
    });
    service.fail = false;
    await pilot.pass();
    expect(service.sets).toHaveLength(1);
  });

  it('bounds the changes a pass makes', async () => {
    const service = new MemoryService();
    const history = ['a', 'b', 'c'].flatMap((r) => uses(`o/${r}`, [r], 3));
    const pilot = new ImageCacheAutopilot({
      history: { usesSince: () => Promise.resolve(history) },
      service,
      budget: { ...budget, maxSets: 10 },
      log,
      now: () => NOW,
      maxChangesPerPass: 2,
    });
    const { decisions } = await pilot.pass();
    expect(service.sets).toHaveLength(2);
    expect(decisions.filter((d) => d.reason.startsWith('create deferred'))).toHaveLength(1);
    await pilot.pass();
    expect(service.sets).toHaveLength(3);
  });

  it('survives a failing history and stops when cancelled', async () => {
    const service = new MemoryService();
    let calls = 0;
    const abort = new AbortController();
    const pilot = new ImageCacheAutopilot({
      history: {
        usesSince: () => {
          if (++calls === 2) abort.abort();
          return Promise.reject(new Error('records unavailable'));
        },
      },
      service,
      budget,
      log,
      intervalMs: 1,
    });
    await pilot.run(abort.signal); // returns: cancelled during the second pass
    expect(calls).toBe(2);
  });
});
