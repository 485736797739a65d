import { describe, expect, it } from '@jest/globals';
import type { JobEvent } from '@eci-virtual/contract';
import type { UnitPrices } from './eci-price-model.js';
import { billingWindow, storedJobCost } from './job-cost.js';

const USD: UnitPrices = { currency: 'USD', vcpuSecond: 0.00001, gibSecond: 0.000001 };
const ev = (at: string, reason: string): JobEvent => ({ at, type: 'Normal', reason, message: '' });

const job = {
  resources: { cpu: '2', memory: '4Gi' },
  podCreatedAt: '2026-03-02T10:00:00.000Z',
  finishedAt: '2026-03-02T10:05:03.500Z',
  events: [
    ev('2026-03-02T10:00:02.000Z', 'Scheduled'),
    ev('2026-03-02T10:00:03.000Z', 'Pulling'),
    ev('2026-03-02T10:00:33.000Z', 'Pulled'),
  ],
};

describe('job cost', () => {
  it('bills from the first image pull to the end', () => {
    const w = billingWindow(job, 0)!;
    expect(w).toMatchObject({ startsAt: 'image-pull', open: false });
    // 10:00:03.000 → 10:05:03.500 = 300.5 s → 301 s billed
    const c = storedJobCost(job, USD, 0)!;
    expect(c.billedSeconds).toBe(301);
    // 301 × (2 × 0.00001 + 4 × 0.000001) = 301 × 0.000024 = 0.007224
    expect(c.amount).toBe(0.007224);
  });

  it('starts at the cache hit when the pod started from an image cache', () => {
    const hit = { ...job, events: [ev('2026-03-02T10:00:01.000Z', 'SuccessfulHitImageCache'), ...job.events] };
    expect(storedJobCost(hit, USD, 0)!.billedSeconds).toBe(303); // 10:00:01 → 10:05:03.5
  });

  it('falls back to the pod creation without pull events, and runs to now while the job runs', () => {
    const now = Date.parse('2026-03-02T10:01:00.000Z');
    const c = storedJobCost({ ...job, events: [], finishedAt: undefined }, USD, now)!;
    expect(c.window).toMatchObject({ startsAt: 'pod-created', open: true });
    expect(c.billedSeconds).toBe(60);
  });

  it('has no cost before the pod exists', () => {
    expect(storedJobCost({ ...job, podCreatedAt: undefined, events: [] }, USD, 0)).toBeUndefined();
  });
});
