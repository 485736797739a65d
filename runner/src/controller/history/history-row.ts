/** A stored job → the row of the `jobs` table (history/migrations.ts), and back. */
import { storedJobCost } from '../cost/job-cost.js';
import type { StoredJob } from '../records/stored-job.js';
import { imageUseOf } from '../image-cache-autopilot/image-uses.js';
import { isFinished } from '../lifecycle/phases.js';
import type { SqlValue } from './sql-driver.js';

export interface Prices {
  vcpuSecondUsd: number;
  gibSecondUsd: number;
}

export const JOB_COLUMNS = [
  'id',
  'repo',
  'workflow',
  'status',
  'conclusion',
  'node_type',
  'queued_at',
  'finished_at',
  'queue_ms',
  'billed_seconds',
  'cost_usd',
  'updated_at',
  'record',
  'pod_created_at',
  'image_uses',
  'prep_seconds',
  'from_cache',
] as const;

const msOf = (iso?: string): number | null => {
  const t = iso ? Date.parse(iso) : NaN;
  return Number.isFinite(t) ? t : null;
};

/** The row's values, in JOB_COLUMNS order. */
export function jobRow(job: StoredJob, prices: Prices, now: number): SqlValue[] {
  const queuedAt = msOf(job.queuedAt);
  if (queuedAt === null) throw new TypeError(`job ${job.id}: queuedAt "${job.queuedAt}" is not a time`);
  const running = msOf(job.runningAt);
  const cost = storedJobCost(
    job,
    { currency: 'USD', vcpuSecond: prices.vcpuSecondUsd, gibSecond: prices.gibSecondUsd },
    now,
  );
  return [
    job.id,
    job.repo,
    job.workflow,
    job.status,
    job.conclusion ?? null,
    job.node?.type ?? null,
    queuedAt,
    msOf(job.finishedAt),
    running !== null ? Math.max(0, running - queuedAt) : null,
    cost ? cost.billedSeconds : null,
    cost ? cost.amount : null,
    now,
    JSON.stringify(job),
    ...imageColumns(job),
  ];
}

/**
 * pod_created_at, image_uses, prep_seconds, from_cache: what the image-cache autopilot reads (sql-job-history.ts
 * `imageUses`), set once the job finished (its pod's events are in the record by then); NULL before, and for records
 * written before images were recorded with their roles.
 */
function imageColumns(job: StoredJob): SqlValue[] {
  const use = isFinished(job.status) ? imageUseOf(job) : undefined;
  if (!use) return [null, null, null, null];
  return [
    use.at,
    JSON.stringify(use.images),
    use.prepSeconds ?? null,
    use.fromCache === undefined ? null : use.fromCache ? 1 : 0,
  ];
}

export const jobFromRow = (row: { record: unknown }): StoredJob => JSON.parse(String(row.record)) as StoredJob;
