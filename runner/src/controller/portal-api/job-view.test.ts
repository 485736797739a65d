import { describe, expect, it } from '@jest/globals';
import type { StoredJob } from '../records/stored-job.js';
import { percentile, summarize, toJobRecord } from './job-view.js';

const prices = { vcpuSecondUsd: 0.00001, gibSecondUsd: 0.000001 };
const stored = (over: Partial<StoredJob> = {}): StoredJob => ({
  id: '1',
  runId: '2',
  runAttempt: 1,
  repo: 'o/r',
  workflow: 'CI',
  job: 'test',
  htmlUrl: 'https://github.com/o/r/actions/runs/2/job/1',
  status: 'succeeded',
  labels: ['eci-virtual'],
  resources: { cpu: '2', memory: '4Gi' },
  images: [],
  imageCache: { used: false, images: [] },
  queuedAt: '2026-11-22T10:00:00.000Z',
  podCreatedAt: '2026-11-22T10:00:00.200Z',
  runningAt: '2026-11-22T10:00:01.000Z',
  finishedAt: '2026-11-22T10:01:40.200Z',
  node: { name: 'eci-virtual', type: 'virtual' },
  events: [],
  ...over,
});

describe('job view', () => {
  it('derives latencies, duration and cost', () => {
    const r = toJobRecord(stored(), prices);
    expect(r.latency).toEqual({ queuedToPodMs: 200, podToRunningMs: 800, queuedToRunningMs: 1000 });
    expect(r.durationSeconds).toBe(100);
    // 100 s × (2 vCPU × 1e-5 + 4 GiB × 1e-6) = 0.0024
    expect(r.estimatedCostUsd).toBeCloseTo(0.0024, 6);
  });

  it('bills from the first image pull, the specification ECI creates, whole seconds', () => {
    const r = toJobRecord(
      stored({
        resources: { cpu: '1500m', memory: '3Gi' },
        events: [{ at: '2026-11-22T10:00:00.700Z', type: 'Normal', reason: 'Pulling', message: 'Pulling image' }],
      }),
      prices,
    );
    // 10:00:00.700 → 10:01:40.200 = 99.5 s → 100 s; 1.5 vCPU / 3 GiB is billed as 2 vCPU / 4 GiB:
    // 100 × (2 × 1e-5 + 4 × 1e-6) = 0.0024
    expect(r.cost).toEqual({
      currency: 'USD',
      spec: { cpu: 2, memoryGiB: 4 },
      billedSeconds: 100,
      startsAt: 'image-pull',
      vcpuSeconds: 200,
      gibSeconds: 400,
      spot: false,
      amount: 0.0024,
    });
    expect(r.estimatedCostUsd).toBe(0.0024);
  });

  it('leaves out what is not known yet', () => {
    const r = toJobRecord(
      stored({ podCreatedAt: undefined, runningAt: undefined, finishedAt: undefined, status: 'queued' }),
      prices,
    );
    expect(r.latency).toEqual({});
    expect(r.durationSeconds).toBeUndefined();
    expect(r.estimatedCostUsd).toBeUndefined();
  });

  it('summarizes the last 7 days', () => {
    const now = Date.parse('2026-11-23T00:00:00Z');
    const jobs = [
      toJobRecord(stored(), prices, now),
      toJobRecord(
        stored({ id: '2', runningAt: '2026-11-22T10:00:03.000Z', node: { name: 'n', type: 'regular' } }),
        prices,
        now,
      ),
      toJobRecord(stored({ id: '3', queuedAt: '2026-11-01T00:00:00Z' }), prices, now),
      toJobRecord(
        stored({ id: '4', status: 'running', finishedAt: undefined, runningAt: undefined, node: undefined }),
        prices,
        now,
      ),
    ];
    const s = summarize(jobs, now);
    expect(s).toMatchObject({
      jobs7d: 3,
      p50QueuedToRunningMs: 1000,
      p95QueuedToRunningMs: 3000,
      virtualShare: 0.5,
      running: 1,
    });
  });

  it('computes nearest-rank percentiles', () => {
    expect(percentile([], 50)).toBeUndefined();
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([1, 2, 3, 4], 95)).toBe(4);
  });
});
