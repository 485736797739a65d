/**
 * A stored job → the inputs of its fee: the pod's resources, and the billing window ECI uses — from the first image
 * pull (the pod's `Pulling` or `SuccessfulHitImageCache` event) to the job's end (or now while it runs). When the
 * record holds no pull event, the window starts at the pod's creation, which can only over-state the fee.
 */
import type { JobEvent } from '@eci-virtual/contract';
import { parseQuantity } from '../../kube/quantity.js';
import type { StoredJob } from '../records/stored-job.js';
import { groupCost, type CostInput, type JobCost, type UnitPrices } from './eci-price-model.js';

const PULL_REASONS = new Set(['Pulling', 'SuccessfulHitImageCache']);

export interface BillingWindow {
  startMs: number;
  endMs: number;
  /** Where the start came from. */
  startsAt: 'image-pull' | 'pod-created';
  /** The job has not ended: the window runs to `now`. */
  open: boolean;
}

export function billingWindow(
  job: Pick<StoredJob, 'podCreatedAt' | 'finishedAt' | 'events'>,
  now: number,
): BillingWindow | undefined {
  const pull = firstPull(job.events);
  const start = pull ?? (job.podCreatedAt ? Date.parse(job.podCreatedAt) : NaN);
  if (!Number.isFinite(start)) return undefined;
  const end = job.finishedAt ? Date.parse(job.finishedAt) : now;
  return {
    startMs: start,
    endMs: Math.max(start, end),
    startsAt: pull !== undefined ? 'image-pull' : 'pod-created',
    open: !job.finishedAt,
  };
}

function firstPull(events: readonly JobEvent[]): number | undefined {
  const times = events.filter((e) => PULL_REASONS.has(e.reason)).map((e) => Date.parse(e.at));
  const valid = times.filter(Number.isFinite);
  return valid.length ? Math.min(...valid) : undefined;
}

export interface StoredJobCost extends JobCost {
  window: BillingWindow;
}

/** The job's fee under `prices`; undefined before its pod exists or when its resources cannot be read. */
export function storedJobCost(
  job: Pick<StoredJob, 'resources' | 'podCreatedAt' | 'finishedAt' | 'events' | 'spot'> & {
    spotPrice?: CostInput['spot'];
  },
  prices: UnitPrices,
  now: number,
): StoredJobCost | undefined {
  const window = billingWindow(job, now);
  const cpu = quantity(job.resources.cpu);
  const memoryGiB = quantity(job.resources.memory) / 2 ** 30;
  if (!window || !(cpu > 0) || !(memoryGiB > 0)) return undefined;
  const cost = groupCost(
    {
      cpu,
      memoryGiB,
      billingStartMs: window.startMs,
      endMs: window.endMs,
      // On spot when the pod asked for it and the backend did not fall back (its hourly price when known).
      ...(job.spotPrice || (job.spot?.preferred && !job.spot.fellBack) ? { spot: job.spotPrice ?? {} } : {}),
    },
    prices,
  );
  return cost && { ...cost, window };
}

function quantity(q: string): number {
  try {
    return parseQuantity(q);
  } catch {
    return NaN;
  }
}
