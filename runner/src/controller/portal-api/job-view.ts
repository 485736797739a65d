/** Stored job records → the UI-shaped JSON of `/v1/jobs` (latencies, duration, cost and the 7-day summary). */
import { attemptOf } from '../records/spot-record.js';
import type { StoredJob } from '../records/stored-job.js';
import { storedJobCost } from '../cost/job-cost.js';
import { queueBreakdown } from '../records/queue-breakdown.js';
import type { JobRecord, JobsSummary } from '@eci-virtual/contract';

export interface Prices {
  vcpuSecondUsd: number;
  gibSecondUsd: number;
}

const ms = (a?: string, b?: string): number | undefined =>
  a && b ? Math.max(0, Date.parse(b) - Date.parse(a)) : undefined;

export function toJobRecord(s: StoredJob, prices: Prices, now = Date.now()): JobRecord {
  const queuedToPodMs = ms(s.queuedAt, s.podCreatedAt);
  const podToRunningMs = ms(s.podCreatedAt, s.runningAt);
  const queuedToRunningMs = ms(s.queuedAt, s.runningAt);
  const end = s.finishedAt ? Date.parse(s.finishedAt) : now;
  const breakdown = queueBreakdown(s);
  const durationSeconds = s.podCreatedAt ? Math.max(0, (end - Date.parse(s.podCreatedAt)) / 1000) : undefined;
  const cost = storedJobCost(
    s,
    { currency: 'USD', vcpuSecond: prices.vcpuSecondUsd, gibSecond: prices.gibSecondUsd },
    now,
  );
  return {
    id: s.id,
    runId: s.runId,
    runAttempt: s.runAttempt,
    repo: s.repo,
    workflow: s.workflow,
    job: s.job,
    htmlUrl: s.htmlUrl,
    status: s.status,
    ...(s.conclusion ? { conclusion: s.conclusion } : {}),
    labels: s.labels,
    ...(s.pod ? { pod: s.pod } : {}),
    ...(s.node ? { node: s.node } : {}),
    resources: s.resources,
    ...(s.eciSpecs ? { eciSpecs: s.eciSpecs } : {}),
    images: s.images,
    imageCache: s.imageCache,
    timestamps: {
      queuedAt: s.queuedAt,
      ...(s.podCreatedAt ? { podCreatedAt: s.podCreatedAt } : {}),
      ...(s.runningAt ? { runningAt: s.runningAt } : {}),
      ...(s.finishedAt ? { finishedAt: s.finishedAt } : {}),
    },
    latency: {
      ...(queuedToPodMs !== undefined ? { queuedToPodMs } : {}),
      ...(podToRunningMs !== undefined ? { podToRunningMs } : {}),
      ...(queuedToRunningMs !== undefined ? { queuedToRunningMs } : {}),
    },
    ...(breakdown ? { queueBreakdown: breakdown } : {}),
    ...(durationSeconds !== undefined ? { durationSeconds: Math.round(durationSeconds * 10) / 10 } : {}),
    ...(cost
      ? {
          estimatedCostUsd: cost.amount,
          cost: {
            currency: cost.currency,
            spec: cost.spec,
            billedSeconds: cost.billedSeconds,
            startsAt: cost.window.startsAt,
            vcpuSeconds: cost.vcpuSeconds,
            gibSeconds: cost.gibSeconds,
            spot: cost.spot,
            amount: cost.amount,
          },
        }
      : {}),
    events: s.events,
    ...(s.spot ? { spot: s.spot } : {}),
    ...(s.spotAttempts?.length
      ? { spotAttempts: s.spotAttempts.map((a) => (a.jobId === s.id ? attemptOf(s) : a)) }
      : {}),
  };
}

const round6 = (n: number) => Math.round(n * 1e6) / 1e6;

export function percentile(sorted: number[], p: number): number | undefined {
  if (!sorted.length) return undefined;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function summarize(jobs: JobRecord[], now = Date.now()): JobsSummary {
  const week = jobs.filter((j) => Date.parse(j.timestamps.queuedAt) >= now - 7 * 86_400_000);
  const latencies = week
    .map((j) => j.latency.queuedToRunningMs)
    .filter((v): v is number => v !== undefined)
    .sort((a, b) => a - b);
  const placed = week.filter((j) => j.node);
  const p50 = percentile(latencies, 50);
  const p95 = percentile(latencies, 95);
  return {
    jobs7d: week.length,
    ...(p50 !== undefined ? { p50QueuedToRunningMs: p50 } : {}),
    ...(p95 !== undefined ? { p95QueuedToRunningMs: p95 } : {}),
    ...(placed.length ? { virtualShare: placed.filter((j) => j.node!.type === 'virtual').length / placed.length } : {}),
    totalCostUsd: round6(week.reduce((sum, j) => sum + (j.estimatedCostUsd ?? 0), 0)),
    running: jobs.filter((j) => j.status === 'running' || j.status === 'pending').length,
  };
}
