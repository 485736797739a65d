/** A stored job → the row of the `jobs` table (history/migrations.ts), and back. */
import { storedJobCost } from '../cost/job-cost.js';
import type { StoredJob } from '../records/stored-job.js';
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
  ];
}

export const jobFromRow = (row: { record: unknown }): StoredJob => JSON.parse(String(row.record)) as StoredJob;
