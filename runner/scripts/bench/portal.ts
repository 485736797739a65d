/**
 * `yarn bench portal` — the portal API over the job history database at 100,000 stored jobs, SQLite and PostgreSQL
 * in one run (issue #22: p95 ≤ 50 ms for a page of jobs and for 30-day aggregates). Seeds BENCH_HISTORY_JOBS
 * (default 100,000) jobs over 90 days and 20 repositories — one of them, the monorepo, holds 30 % of them — then
 * times `PortalApi.handle` (routing, SQL, mapping to the wire types; no HTTP socket) for the monorepo:
 *   a page of jobs (50, the newest), the tab's default page (200), a filtered page (failed jobs), a deep page (after
 *   20 pages of 50) and the 30-day aggregates (per day of the repository, per repository of all).
 * SQLite is a file in a temp dir (node-sqlite3-wasm); PostgreSQL a throw-away server started here
 * (runner/test/harness/postgres-server.ts), skipped with a message when it is not installed.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JobStatus } from '@eci-virtual/contract';
import { parseControllerConfig } from '../../src/controller/config.js';
import type { GitHubClient } from '../../src/controller/github/github-client.js';
import type { JobHistoryStore } from '../../src/controller/history/job-history-store.js';
import { PostgresDriver } from '../../src/controller/history/postgres-driver.js';
import type { SqlDriver } from '../../src/controller/history/sql-driver.js';
import { SqlJobHistory } from '../../src/controller/history/sql-job-history.js';
import { SqliteDriver } from '../../src/controller/history/sqlite-driver.js';
import { PortalApi } from '../../src/controller/portal-api/routes.js';
import type { StoredJob } from '../../src/controller/records/stored-job.js';
import { createLogger } from '../../src/observability/logger.js';
import { postgresUnavailable, startPostgres } from '../../test/harness/postgres-server.js';
import { ms, percentile, report, sample } from './stats.js';
import { seededRandom } from '../../test/seeded-random.js';

const JOBS = Number(process.env.BENCH_HISTORY_JOBS ?? 100_000);
const SAMPLES = Number(process.env.BENCH_HISTORY_SAMPLES ?? 200);
const DAYS = 90;
const REPOS = 20;
const HOT = 'acme/monorepo';
const TOKEN = 'bench-portal-token';
const TARGET_MS = 50;
const DAY_MS = 86_400_000;

/** A deterministic pseudo-random sequence, so every run seeds the same history. */
const rng = seededRandom;

/** Jobs shaped like the controller's records: milestones, pod events, images, a node. */
function* seedJobs(now: number): Generator<StoredJob> {
  const r = rng(22);
  const iso = (t: number) => new Date(t).toISOString();
  for (let i = 0; i < JOBS; i++) {
    const repo = r() < 0.3 ? HOT : `acme/service-${Math.floor(r() * (REPOS - 1))}`;
    const queued = now - Math.floor(r() * DAYS * DAY_MS);
    const pod = queued + 500 + Math.floor(r() * 3_000);
    const pulled = pod + 1_000;
    const running = pulled + 2_000 + Math.floor(r() * 20_000);
    const finished = running + 30_000 + Math.floor(r() * 600_000);
    const roll = r();
    const status: JobStatus =
      queued > now - 3_600_000 && roll < 0.3
        ? 'running'
        : roll < 0.9
          ? 'succeeded'
          : roll < 0.97
            ? 'failed'
            : 'cancelled';
    const open = status === 'running';
    yield {
      id: String(10_000_000 + i),
      runId: String(5_000_000 + Math.floor(i / 4)),
      runAttempt: 1,
      repo,
      workflow: r() < 0.7 ? 'ci' : 'release',
      job: ['build', 'test', 'lint', 'e2e'][i % 4]!,
      htmlUrl: `https://github.com/${repo}/actions/runs/${5_000_000 + Math.floor(i / 4)}/job/${10_000_000 + i}`,
      labels: ['eci-virtual'],
      status,
      ...(open
        ? {}
        : { conclusion: status === 'succeeded' ? 'success' : status === 'failed' ? 'failure' : 'cancelled' }),
      finishedBy: 'github',
      pod: { namespace: 'eci-jobs', name: `eci-virtual-${10_000_000 + i}` },
      node: { name: 'eci-virtual', type: r() < 0.9 ? 'virtual' : 'regular' },
      resources: { cpu: '2', memory: '4Gi' },
      images: ['ghcr.io/actions/actions-runner:2.330.0', 'node:20-bookworm', 'postgres:15'],
      imageCache: { used: r() < 0.6, images: ['node:20-bookworm'] },
      queuedAt: iso(queued),
      podCreatedAt: iso(pod),
      runningAt: iso(running),
      ...(open ? {} : { finishedAt: iso(finished) }),
      events: [
        {
          at: iso(pod),
          type: 'Normal',
          reason: 'Scheduled',
          message: `Successfully assigned eci-jobs/eci-virtual-${i}`,
        },
        { at: iso(pulled), type: 'Normal', reason: 'Pulling', message: 'Pulling image "node:20-bookworm"' },
        { at: iso(running - 500), type: 'Normal', reason: 'Pulled', message: 'Successfully pulled image in 1.8s' },
        { at: iso(running), type: 'Normal', reason: 'Started', message: 'Started container runner' },
      ],
    };
  }
}

async function seed(store: JobHistoryStore, now: number): Promise<number> {
  const t = performance.now();
  let batch: StoredJob[] = [];
  for (const job of seedJobs(now)) {
    batch.push(job);
    if (batch.length === 5_000) {
      await store.putMany(batch);
      batch = [];
    }
  }
  if (batch.length) await store.putMany(batch);
  return performance.now() - t;
}

async function measure(name: string, open: () => Promise<{ db: SqlDriver; size?: () => string }>): Promise<void> {
  const { db, size } = await open();
  const now = Date.now();
  const store = await SqlJobHistory.open(db, { vcpuSecondUsd: 0.0000077, gibSecondUsd: 0.00000096 });
  try {
    const seeded = await seed(store, now);
    // What autovacuum (PostgreSQL) and ANALYZE keep up to date in a running database: statistics, visibility map.
    await db.run(db.dialect === 'postgres' ? 'VACUUM ANALYZE jobs' : 'ANALYZE');
    console.log(
      `\n${name}: ${JOBS.toLocaleString('en')} jobs seeded in ${(seeded / 1000).toFixed(1)} s${size ? `, ${size()}` : ''}`,
    );
    const config = parseControllerConfig(
      { scope: { repositories: [HOT] } },
      { GITHUB_TOKEN: 'unused', ECI_VIRTUAL_WEBHOOK_SECRET: 'unused', ECI_VIRTUAL_PORTAL_TOKEN: TOKEN },
    );
    const api = new PortalApi({
      config,
      records: { get: async () => undefined, list: async () => [] },
      history: store,
      github: {} as GitHubClient,
      log: createLogger({ component: 'bench' }),
    });
    const call = async (path: string, query: Record<string, string>) => {
      const res = await api.handle(path, new URLSearchParams({ repo: HOT, ...query }), `Bearer ${TOKEN}`);
      if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body as { jobs?: unknown[]; next?: string; perDay?: unknown[] };
    };
    let after = '';
    for (let p = 0; p < 20; p++) after = (await call('/v1/jobs', { limit: '50', ...(after ? { after } : {}) })).next!;
    const cases: [string, () => Promise<unknown>, boolean][] = [
      ['GET /v1/jobs (a page of 50)', () => call('/v1/jobs', { limit: '50' }), true],
      ['GET /v1/jobs (the tab: 200)', () => call('/v1/jobs', {}), false],
      ['GET /v1/jobs?status=failed (50)', () => call('/v1/jobs', { limit: '50', status: 'failed' }), false],
      ['GET /v1/jobs (page 21 of 50)', () => call('/v1/jobs', { limit: '50', after }), false],
      ['GET /v1/aggregates?days=30', () => call('/v1/aggregates', { days: '30' }), true],
    ];
    for (const [label, fn, headline] of cases) {
      const times = await sample(SAMPLES, fn, 10);
      const p95 = percentile(times, 95);
      report(
        `${name} ${label}`,
        `p95 ${ms(p95)}`,
        headline ? `≤ ${TARGET_MS} ms ${p95 <= TARGET_MS ? 'ok' : 'MISSED'}` : undefined,
        `p50 ${ms(percentile(times, 50))}`,
      );
    }
  } finally {
    await store.close();
  }
}

export async function portalBench(): Promise<void> {
  console.log(
    `portal API over the job history — ${JOBS.toLocaleString('en')} jobs over ${DAYS} days, ${REPOS} repositories ` +
      `(${HOT}: 30 %), ${SAMPLES} samples per figure`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'eci-bench-history-'));
  try {
    const file = join(dir, 'jobs.db');
    await measure('sqlite', async () => ({
      db: SqliteDriver.open(file),
      size: () => `${(statSync(file).size / 2 ** 20).toFixed(0)} MiB file`,
    }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const why = postgresUnavailable();
  if (why) {
    console.log(`\npostgres: skipped — ${why}`);
    return;
  }
  const server = await startPostgres();
  try {
    const url = await server.createDatabase('bench_history');
    await measure('postgres', async () => ({ db: PostgresDriver.open({ connectionString: url }) }));
  } finally {
    await server.stop();
  }
}
