/**
 * The history schema, versioned: each migration runs once, in order, in its own transaction, and is recorded in
 * `history_migrations`. Append new versions; never edit a released one. Statements are written once for both
 * dialects where they agree (`BIGINT`, `DOUBLE PRECISION` and `TEXT` mean the same in SQLite's type affinity).
 */
import { Internal } from '@eci-virtual/contract';
import type { Dialect, SqlDriver } from './sql-driver.js';

/** Days are UTC days numbered from the epoch: `queued_at / DAY_MS` (integer division in both databases). */
export const DAY_MS = 86_400_000;

/**
 * Migration 3 and the day recompute (sql-job-history.ts) both use this, so a day reads the same whichever wrote it:
 * changing what it computes needs a new migration that recomputes job_days.
 *
 * The nearest-rank `p`th percentile (as `percentile` in portal-api/job-view.ts: the value of rank ⌈p·n/100⌉) of the
 * queue times of `repo`'s jobs queued in [from, to), as one scalar subquery valid in SQLite and PostgreSQL (window
 * functions; integer division does the ceiling). The arguments are SQL expressions (placeholders or columns).
 */
export function queuePercentileSql(p: number, repo: string, from: string, to: string): string {
  if (!Number.isInteger(p) || p < 1 || p > 100) throw new RangeError(`percentile ${p} is not an integer in 1..100`);
  return `(SELECT MIN(r.queue_ms) FROM (
      SELECT queue_ms, ROW_NUMBER() OVER (ORDER BY queue_ms) AS rn, COUNT(*) OVER () AS n
      FROM jobs WHERE repo = ${repo} AND queued_at >= ${from} AND queued_at < ${to} AND queue_ms IS NOT NULL
    ) r WHERE r.rn = (${p} * r.n + 99) / 100)`;
}

export interface Migration {
  version: number;
  name: string;
  statements: (dialect: Dialect) => string[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'jobs table with the columns the portal filters and sums on',
    statements: () => [
      `CREATE TABLE jobs (
         id TEXT PRIMARY KEY,
         repo TEXT NOT NULL,
         workflow TEXT NOT NULL,
         status TEXT NOT NULL,
         conclusion TEXT,
         node_type TEXT,
         queued_at BIGINT NOT NULL,
         finished_at BIGINT,
         queue_ms BIGINT,
         billed_seconds BIGINT,
         cost_usd DOUBLE PRECISION,
         updated_at BIGINT NOT NULL,
         record TEXT NOT NULL
       )`,
      // A page of one repository's jobs, newest first, and its per-day sums without touching the table.
      `CREATE INDEX jobs_repo_page ON jobs (repo, queued_at, id, status, node_type, queue_ms, billed_seconds, cost_usd)`,
      // Sums over every repository in a time window, and retention.
      `CREATE INDEX jobs_window ON jobs (queued_at, repo, queue_ms, billed_seconds, cost_usd)`,
    ],
  },
  {
    version: 2,
    name: 'per-repository, per-day sums kept with the jobs (30-day aggregates read ~30 rows per repository)',
    statements: () => [
      `CREATE TABLE job_days (
         repo TEXT NOT NULL,
         day BIGINT NOT NULL,
         jobs BIGINT NOT NULL,
         billed_seconds BIGINT NOT NULL,
         cost_usd DOUBLE PRECISION NOT NULL,
         queue_ms_sum BIGINT NOT NULL,
         queue_n BIGINT NOT NULL,
         PRIMARY KEY (repo, day)
       )`,
      `CREATE INDEX job_days_by_day ON job_days (day, repo)`,
      `INSERT INTO job_days (repo, day, jobs, billed_seconds, cost_usd, queue_ms_sum, queue_n)
         SELECT repo, queued_at / ${DAY_MS}, COUNT(*), COALESCE(SUM(billed_seconds), 0), COALESCE(SUM(cost_usd), 0),
                COALESCE(SUM(queue_ms), 0), COUNT(queue_ms)
         FROM jobs GROUP BY repo, queued_at / ${DAY_MS}`,
    ],
  },
  {
    version: 3,
    name: 'queue-time p50/p95 per repository and day, kept in job_days',
    statements: () => [
      `ALTER TABLE job_days ADD COLUMN queue_p50_ms BIGINT`,
      `ALTER TABLE job_days ADD COLUMN queue_p95_ms BIGINT`,
      `UPDATE job_days SET
         queue_p50_ms = ${queuePercentileSql(50, 'job_days.repo', `job_days.day * ${DAY_MS}`, `(job_days.day + 1) * ${DAY_MS}`)},
         queue_p95_ms = ${queuePercentileSql(95, 'job_days.repo', `job_days.day * ${DAY_MS}`, `(job_days.day + 1) * ${DAY_MS}`)}`,
    ],
  },
  {
    version: 4,
    name: 'what the image-cache autopilot learns from a finished job: pod images by role, prep time, cache hit',
    statements: () => [
      `ALTER TABLE jobs ADD COLUMN pod_created_at BIGINT`,
      `ALTER TABLE jobs ADD COLUMN image_uses TEXT`,
      `ALTER TABLE jobs ADD COLUMN prep_seconds DOUBLE PRECISION`,
      `ALTER TABLE jobs ADD COLUMN from_cache BIGINT`,
      // The autopilot's read: every finished job whose pod was created in its window, oldest first.
      `CREATE INDEX jobs_image_uses ON jobs (pod_created_at)`,
    ],
  },
  {
    version: 5,
    name: "the image-cache autopilot's decisions, so every replica's portal shows what the leader decided",
    statements: () => [
      `CREATE TABLE autopilot_decisions (
         id TEXT PRIMARY KEY,
         repo TEXT NOT NULL,
         at BIGINT NOT NULL,
         decision TEXT NOT NULL
       )`,
      `CREATE INDEX autopilot_decisions_repo ON autopilot_decisions (repo, at)`,
    ],
  },
];

const LEDGER = `CREATE TABLE IF NOT EXISTS history_migrations (
  version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`;

/** Applies the migrations not yet applied; returns their versions. Safe to run from several replicas at once. */
export async function migrate(db: SqlDriver, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  const applied: number[] = [];
  for (const m of migrations) {
    const done = await db.transaction(async (tx) => {
      // PostgreSQL: one migrator at a time across replicas, the ledger's creation included (two concurrent
      // CREATE TABLE IF NOT EXISTS can both try to create it). SQLite's BEGIN IMMEDIATE already is exclusive.
      if (tx.dialect === 'postgres') await tx.query('SELECT pg_advisory_xact_lock(4211720901)');
      await tx.run(LEDGER);
      const seen = await tx.query('SELECT version FROM history_migrations WHERE version = $1', [m.version]);
      if (seen.length) return false;
      for (const sql of m.statements(tx.dialect)) await tx.run(sql);
      await tx.run('INSERT INTO history_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
        m.version,
        m.name,
        Date.now(),
      ]);
      return true;
    });
    if (done) applied.push(m.version);
  }
  const rows = await db.query<{ v: unknown }>('SELECT MAX(version) AS v FROM history_migrations');
  const newest = Number(rows[0]?.v ?? 0);
  const known = migrations.at(-1)?.version ?? 0;
  if (newest > known)
    throw new Internal(`the job history has schema version ${newest}, newer than this controller knows (${known})`, {
      hint: 'run a controller at least as new as the one that last wrote the database',
    });
  return applied;
}
