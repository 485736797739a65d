import { describe, expect, it } from '@jest/globals';
import { condition } from '../workflow/expr/evaluate.js';
import type { JobSpec } from './job-spec.js';
import type { JobConclusion, JobResult } from './reporter.js';
import { aggregateResult, needsStatus, runJobs, type NeedsContext, type PlannedJob } from './scheduler.js';

interface Script {
  /** Milliseconds the fake job takes (default 20). */
  ms?: number;
  conclusion?: JobConclusion;
  outputs?: Record<string, string>;
}

function job(
  id: string,
  o: { needs?: string[]; if?: string; leg?: number; failFast?: boolean; maxParallel?: number } = {},
) {
  const spec: JobSpec = {
    id,
    name: o.leg === undefined ? id : `${id} (${o.leg})`,
    workflow: 'w',
    services: [],
    env: {},
    defaults: {},
    steps: [],
    ...(o.if ? { if: o.if } : {}),
  };
  const planned: PlannedJob = { spec, needs: o.needs ?? [], failFast: o.failFast ?? true };
  if (o.maxParallel !== undefined) planned.maxParallel = o.maxParallel;
  return planned;
}

const legs = (id: string, n: number, o: Parameters<typeof job>[1] = {}) =>
  Array.from({ length: n }, (_, leg) => job(id, { ...o, leg }));

/** Runs `jobs` with fake runs scripted by job name; records the order and overlap of what ran. */
async function schedule(
  jobs: PlannedJob[],
  scripts: Record<string, Script> = {},
  opts: { concurrency?: number; signal?: AbortSignal } = {},
) {
  const log: string[] = [];
  const seen: Record<string, NeedsContext> = {};
  let active = 0;
  let peak = 0;
  const result = (j: PlannedJob, conclusion: JobConclusion, extra: Partial<JobResult> = {}): JobResult => ({
    job: j.spec.id,
    name: j.spec.name,
    conclusion,
    pod: '',
    steps: [],
    timings: { totalMs: 0 },
    ...extra,
  });
  const outcome = await runJobs({
    jobs,
    concurrency: opts.concurrency ?? 10,
    ...(opts.signal ? { signal: opts.signal } : {}),
    condition: (j, needs, status) => condition(j.spec.if, { contexts: { needs }, status }),
    run: async (j, needs, signal) => {
      const s = scripts[j.spec.name] ?? {};
      seen[j.spec.name] = needs;
      log.push(`start ${j.spec.name}`);
      peak = Math.max(peak, ++active);
      const cancelled = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), s.ms ?? 20);
        signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve(true);
        });
      });
      active--;
      log.push(`end ${j.spec.name}`);
      return result(j, cancelled ? 'cancelled' : (s.conclusion ?? 'success'), { outputs: s.outputs ?? {} });
    },
    notRun: (j, conclusion, reason) => {
      log.push(`${conclusion} ${j.spec.name}: ${reason}`);
      return result(j, conclusion, { error: reason });
    },
  });
  const by = Object.fromEntries(outcome.results.map((r) => [r.name, r.conclusion]));
  return { ...outcome, log, seen, peak, by };
}

describe('job scheduler', () => {
  it('runs independent jobs side by side and a job after all of its needs', async () => {
    const started = Date.now();
    const r = await schedule([job('a'), job('b'), job('c', { needs: ['a', 'b'] })], {
      a: { ms: 80 },
      b: { ms: 80 },
      c: { ms: 10 },
    });
    expect(Date.now() - started).toBeLessThan(150);
    expect(r.peak).toBe(2);
    expect(r.log.indexOf('start c')).toBeGreaterThan(r.log.indexOf('end a'));
    expect(r.log.indexOf('start c')).toBeGreaterThan(r.log.indexOf('end b'));
    expect(r.results.map((x) => x.name)).toEqual(['a', 'b', 'c']);
  });

  it('caps concurrency (--jobs) and max-parallel per matrix job', async () => {
    expect((await schedule([job('a'), job('b'), job('c'), job('d')], {}, { concurrency: 2 })).peak).toBe(2);
    const r = await schedule([...legs('m', 4, { maxParallel: 1 }), job('x')], {}, { concurrency: 10 });
    expect(r.peak).toBe(2); // one leg at a time, plus the independent job
    const order = r.log.filter((l) => l.includes('m ('));
    expect(order).toEqual([
      'start m (0)',
      'end m (0)',
      'start m (1)',
      'end m (1)',
      'start m (2)',
      'end m (2)',
      'start m (3)',
      'end m (3)',
    ]);
  });

  it('fail-fast: a failing leg cancels its running siblings and the pending ones; other jobs carry on', async () => {
    const r = await schedule([...legs('m', 3, { maxParallel: 2 }), job('other')], {
      'm (0)': { ms: 10, conclusion: 'failure' },
      'm (1)': { ms: 5_000 },
      other: { ms: 50 },
    });
    expect(r.by).toEqual({ 'm (0)': 'failure', 'm (1)': 'cancelled', 'm (2)': 'cancelled', other: 'success' });
    expect(r.log).toContain('cancelled m (2): fail-fast: m (0) failed');
    expect(r.log).not.toContain('start m (2)');
    expect(r.needs.m?.result).toBe('failure');
  });

  it('without fail-fast every leg runs to its end', async () => {
    const r = await schedule(legs('m', 2, { failFast: false }), {
      'm (0)': { conclusion: 'failure' },
      'm (1)': { ms: 60 },
    });
    expect(r.by).toEqual({ 'm (0)': 'failure', 'm (1)': 'success' });
  });

  it('skips a job whose need failed or was skipped unless its if: says otherwise', async () => {
    const r = await schedule(
      [
        job('a'),
        job('off', { if: 'false' }),
        job('after-a', { needs: ['a'] }),
        job('after-off', { needs: ['off'] }),
        job('always', { needs: ['a'], if: 'always()' }),
        job('on-failure', { needs: ['a'], if: 'failure()' }),
        job('chained', { needs: ['after-a'] }),
      ],
      { a: { conclusion: 'failure' } },
    );
    expect(r.by).toEqual({
      a: 'failure',
      off: 'skipped',
      'after-a': 'skipped',
      'after-off': 'skipped',
      always: 'success',
      'on-failure': 'success',
      chained: 'skipped',
    });
    expect(r.log).toContain('skipped after-a: needs a (failure)');
    expect(r.log).toContain('skipped off: its if: is false');
    expect(r.seen.always?.a?.result).toBe('failure');
  });

  it('passes needs.<id>.result and outputs; a matrix job’s outputs are last-writer-wins', async () => {
    const r = await schedule([...legs('m', 3), job('use', { needs: ['m'], if: "needs.m.outputs.v == 'late'" })], {
      'm (0)': { ms: 10, outputs: { v: 'early', only0: 'zero' } },
      'm (1)': { ms: 80, outputs: { v: 'late' } },
      'm (2)': { ms: 40, outputs: { v: 'middle', only0: '' } },
    });
    expect(r.seen.use).toEqual({ m: { result: 'success', outputs: { v: 'late', only0: 'zero' } } });
    expect(r.by.use).toBe('success');
  });

  it('a bad job if: fails that job only', async () => {
    const r = await schedule([job('bad', { if: '${{ nope( }}' }), job('fine')]);
    expect(r.by).toEqual({ bad: 'failure', fine: 'success' });
  });

  it('cancelling the run cancels running jobs and reports the rest cancelled without running them', async () => {
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 30);
    const r = await schedule(
      [job('long'), job('next', { needs: ['long'], if: 'always()' })],
      { long: { ms: 5_000 } },
      {
        signal: abort.signal,
      },
    );
    expect(r.by).toEqual({ long: 'cancelled', next: 'cancelled' });
    expect(r.log).not.toContain('start next');
  });

  it('aggregates results and statuses as GitHub does', () => {
    expect(aggregateResult(['success', 'failure', 'cancelled'])).toBe('failure');
    expect(aggregateResult(['success', 'cancelled'])).toBe('cancelled');
    expect(aggregateResult(['skipped', 'success'])).toBe('success');
    expect(aggregateResult(['skipped'])).toBe('skipped');
    const n = (result: JobConclusion) => ({ result, outputs: {} });
    expect(needsStatus([n('success'), n('skipped')], false)).toBe('skipped');
    expect(needsStatus([n('cancelled'), n('skipped')], false)).toBe('failure');
    expect(needsStatus([n('success')], true)).toBe('cancelled');
    expect(needsStatus([], false)).toBe('success');
  });
});
