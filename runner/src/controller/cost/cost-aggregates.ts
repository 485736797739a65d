/** Per-repository and per-day sums of job fees (pure). Days are UTC calendar days (`YYYY-MM-DD`). */
import { roundMoney } from './eci-price-model.js';

export interface CostedJob {
  repo: string;
  /** When billing started (ms since epoch): a job is counted on the day its billing started. */
  startMs: number;
  amount: number;
  billedSeconds: number;
}

export interface CostTotal {
  jobs: number;
  billedSeconds: number;
  amount: number;
}

export interface RepoCost extends CostTotal {
  repo: string;
}

export interface DayCost extends CostTotal {
  day: string;
}

const add = (t: CostTotal | undefined, j: CostedJob): CostTotal => ({
  jobs: (t?.jobs ?? 0) + 1,
  billedSeconds: (t?.billedSeconds ?? 0) + j.billedSeconds,
  amount: roundMoney((t?.amount ?? 0) + j.amount),
});

/** Highest cost first. */
export function costPerRepository(jobs: readonly CostedJob[]): RepoCost[] {
  const by = new Map<string, CostTotal>();
  for (const j of jobs) by.set(j.repo, add(by.get(j.repo), j));
  return [...by]
    .map(([repo, t]) => ({ repo, ...t }))
    .sort((a, b) => b.amount - a.amount || a.repo.localeCompare(b.repo));
}

export const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** Oldest day first; days without jobs are left out. `repo` narrows to one repository. */
export function costPerDay(jobs: readonly CostedJob[], repo?: string): DayCost[] {
  const by = new Map<string, CostTotal>();
  for (const j of jobs) if (!repo || j.repo === repo) by.set(utcDay(j.startMs), add(by.get(utcDay(j.startMs)), j));
  return [...by].map(([day, t]) => ({ day, ...t })).sort((a, b) => a.day.localeCompare(b.day));
}

/** The portal's job records → what the sums take (jobs without a fee are left out). */
export function costedJobs(
  records: readonly {
    repo: string;
    cost?: { amount: number; billedSeconds: number };
    timestamps: { queuedAt: string };
  }[],
  startOf: (r: { timestamps: { queuedAt: string } }) => number = (r) => Date.parse(r.timestamps.queuedAt),
): CostedJob[] {
  return records.flatMap((r) =>
    r.cost ? [{ repo: r.repo, startMs: startOf(r), amount: r.cost.amount, billedSeconds: r.cost.billedSeconds }] : [],
  );
}
