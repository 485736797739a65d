import { describe, expect, it } from '@jest/globals';
import { endpointOf, peakPointsPerMinute } from './github-points.js';

describe('GitHub secondary-limit points of a simulation', () => {
  it('keys endpoints by method and path without ids or query', () => {
    expect(endpointOf({ method: 'delete', path: '/repos/o/r/actions/runners/17' })).toBe(
      'DELETE /repos/o/r/actions/runners/{n}',
    );
    expect(endpointOf({ method: 'GET', path: '/repos/o/r/contents/a.yml?ref=abc' })).toBe(
      'GET /repos/o/r/contents/a.yml',
    );
  });

  it('counts 5 points per write and 1 per read within the busiest 60 s window of one endpoint', () => {
    const jit = (at: number) => ({ method: 'POST', path: '/repos/o/r/actions/runners/generate-jitconfig', at });
    const read = (at: number) => ({ method: 'GET', path: '/repos/o/r/actions/runs/9', at });
    // 200 registrations in the first 50 s, 20 more a minute later; 300 reads spread over the same time.
    const sent = [
      ...Array.from({ length: 200 }, (_, i) => jit(i * 250)),
      ...Array.from({ length: 20 }, (_, i) => jit(120_000 + i)),
      ...Array.from({ length: 300 }, (_, i) => read(i * 400)),
      { method: 'POST', path: '/_runner/acquire', at: 10 },
    ];
    expect(peakPointsPerMinute(sent)).toEqual({
      endpoint: 'POST /repos/o/r/actions/runners/generate-jitconfig',
      points: 1000,
    });
    expect(peakPointsPerMinute(sent.filter((r) => r.method === 'GET')).points).toBe(150);
    expect(peakPointsPerMinute([])).toEqual({ endpoint: '', points: 0 });
  });
});
