import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postgresUnavailable, startPostgres, type PostgresServer } from '../../../test/harness/postgres-server.js';
import type { StoredJob } from '../records/stored-job.js';
import { JOB_COLUMNS, jobRow } from './history-row.js';
import type { JobHistoryStore } from './job-history-store.js';
import { MIGRATIONS, migrate } from './migrations.js';
import { PostgresDriver } from './postgres-driver.js';
import type { SqlDriver } from './sql-driver.js';
import { SqlJobHistory } from './sql-job-history.js';
import { breakStaleLock, podIdentity, SqliteDriver, STALE_LOCK_MS } from './sqlite-driver.js';

// 1 vCPU + 2 GiB: ECI bills the 1C2G spec; at these unit prices a second costs 0.00001 + 0.000002 = 0.000012 US$.
const PRICES = { vcpuSecondUsd: 0.00001, gibSecondUsd: 0.000001 };
const T0 = Date.parse('2026-11-01T00:00:00Z');
const NOW = T0 + 40 * 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

function job(id: number, over: Partial<StoredJob> & { at: number }): StoredJob {
  const { at, ...rest } = over;
  return {
    id: String(id),
    runId: '1',
    runAttempt: 1,
    repo: 'acme/app',
    workflow: 'ci',
    job: 'build',
    htmlUrl: `https://github.com/acme/app/actions/runs/1/job/${id}`,
    labels: ['eci-virtual'],
    status: 'succeeded',
    conclusion: 'success',
    resources: { cpu: '1', memory: '2Gi' },
    images: [],
    imageCache: { used: false, images: [] },
    queuedAt: iso(at),
    podCreatedAt: iso(at + 1_000),
    runningAt: iso(at + 4_000),
    finishedAt: iso(at + 101_000),
    node: { name: 'eci-virtual', type: 'virtual' },
    events: [],
    ...rest,
  };
}

/** The store's behaviour, the same for every driver. `open` gives a new, empty database at each call. */
function storeContract(open: () => Promise<SqlDriver>) {
  let db: SqlDriver;
  let store: JobHistoryStore;
  beforeAll(async () => {
    db = await open();
    store = await SqlJobHistory.open(db, PRICES, () => NOW);
  });
  afterAll(async () => {
    await store?.close();
  });

  it('migrates once: a second run applies nothing and the ledger holds every version', async () => {
    expect(await migrate(db)).toEqual([]);
    const rows = await db.query<{ version: unknown }>('SELECT version FROM history_migrations ORDER BY version');
    expect(rows.map((r) => Number(r.version))).toEqual(MIGRATIONS.map((m) => m.version));
  });

  it('refuses a database whose schema is newer than the controller', async () => {
    await db.run('INSERT INTO history_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [999, 'future', 0]);
    await expect(migrate(db)).rejects.toThrow(/schema version 999, newer/);
    await db.run('DELETE FROM history_migrations WHERE version = $1', [999]);
  });

  it('keeps a job as written and replaces it on the next write', async () => {
    const first = job(1, { at: T0, status: 'running', finishedAt: undefined } as never);
    delete (first as Partial<StoredJob>).finishedAt;
    await store.put(first);
    expect(await store.get('1')).toEqual(first);
    const done = job(1, { at: T0 });
    await store.put(done);
    expect(await store.get('1')).toEqual(done);
    expect(await store.get('404')).toBeUndefined();
  });

  it('writes many jobs in one go, the last record of an id winning', async () => {
    await store.putMany([
      job(50, { at: T0, repo: 'acme/bulk', status: 'running' }),
      job(51, { at: T0, repo: 'acme/bulk' }),
      job(50, { at: T0, repo: 'acme/bulk', status: 'failed' }),
    ]);
    const { jobs } = await store.page({ repo: 'acme/bulk', limit: 10 });
    expect(jobs.map((j) => [j.id, j.status])).toEqual([
      ['51', 'succeeded'],
      ['50', 'failed'],
    ]);
  });

  /** A store on the same database with the given group-commit interval, counting the transactions it starts. */
  async function groupCommitting(groupCommitMs: number) {
    let count = 0;
    const counted: SqlDriver = Object.assign(Object.create(db) as SqlDriver, {
      transaction: <T>(fn: Parameters<SqlDriver['transaction']>[0]) => {
        count++;
        return db.transaction(fn as never) as Promise<T>;
      },
    });
    const grouped = await SqlJobHistory.open(counted, PRICES, () => NOW, { groupCommitMs });
    count = 0; // the migration check
    return { grouped, transactions: () => count };
  }

  it('commits writes made close together in one transaction; a record the database refuses fails only its writer', async () => {
    const { grouped, transactions } = await groupCommitting(20);
    const writes = Array.from({ length: 12 }, (_, i) =>
      job(700 + (i % 6), { at: T0 + 5 * 86_400_000, repo: 'acme/group', status: i < 6 ? 'running' : 'succeeded' }),
    );
    await Promise.all(writes.map((w) => grouped.put(w)));
    expect(transactions()).toBe(1);
    const { jobs } = await grouped.page({ repo: 'acme/group', limit: 20 });
    expect(jobs.map((j) => j.status)).toEqual(Array(6).fill('succeeded'));
    // A record whose row the database refuses (a queue time that is no date) fails its own put, not the others'.
    const bad = { ...job(710, { at: T0 + 5 * 86_400_000, repo: 'acme/group' }), queuedAt: 'not a date' };
    const results = await Promise.allSettled([
      grouped.put(job(711, { at: T0 + 5 * 86_400_000, repo: 'acme/group' })),
      grouped.put(bad),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
    expect(await grouped.get('711')).toBeDefined();
    expect(await grouped.get('710')).toBeUndefined();
  });

  it('commits at most once per group-commit interval while writes keep coming', async () => {
    const { grouped, transactions } = await groupCommitting(150);
    const writes: Promise<void>[] = [];
    const start = Date.now();
    for (let i = 0; i < 20; i++) {
      writes.push(grouped.put(job(720 + i, { at: T0 + 5 * 86_400_000, repo: 'acme/group' })));
      await new Promise((r) => setTimeout(r, 10));
    }
    await Promise.all(writes);
    // One write every 10 ms (or slower on a busy machine) for ≥ 200 ms: a commit per write would be 20.
    expect(transactions()).toBeLessThanOrEqual(Math.ceil((Date.now() - start) / 150) + 1);
    expect(transactions()).toBeLessThan(10);
  });

  it('pages newest first, continuing after `next` without gaps or repeats, and filters', async () => {
    // 25 jobs, two per queue time (ties are ordered by id), over two workflows and statuses.
    for (let i = 100; i < 125; i++)
      await store.put(
        job(i, {
          at: T0 + 86_400_000 + Math.floor((i - 100) / 2) * 60_000,
          workflow: i % 2 ? 'ci' : 'release',
          status: i % 5 ? 'succeeded' : 'failed',
          repo: 'acme/paged',
        }),
      );
    const seen: string[] = [];
    let after;
    for (let n = 0; n < 10; n++) {
      const page = await store.page({ repo: 'acme/paged', limit: 10, ...(after ? { after } : {}) });
      seen.push(...page.jobs.map((j) => j.id));
      after = page.next;
      if (!after) break;
    }
    const expected = Array.from({ length: 25 }, (_, i) => 100 + i)
      .sort((a, b) => Math.floor((b - 100) / 2) - Math.floor((a - 100) / 2) || String(b).localeCompare(String(a)))
      .map(String);
    expect(seen).toEqual(expected);
    const failed = await store.page({ repo: 'acme/paged', limit: 50, status: ['failed'] });
    expect(failed.jobs.map((j) => j.id).sort()).toEqual(['100', '105', '110', '115', '120']);
    expect(failed.next).toBeUndefined();
    const release = await store.page({ repo: 'acme/paged', limit: 50, workflow: 'release' });
    expect(release.jobs.every((j) => j.workflow === 'release')).toBe(true);
    expect(release.jobs).toHaveLength(13);
    const since = await store.page({ repo: 'acme/paged', limit: 50, since: T0 + 86_400_000 + 11 * 60_000 });
    expect(since.jobs.map((j) => j.id).sort()).toEqual(['122', '123', '124']);
  });

  it('sums per day and per repository: jobs, billed seconds, cost and mean queue time', async () => {
    // Each job: pod at +1 s, running at +4 s (queue 4 s), finished at +101 s: 100 billed seconds = 0.0012 US$.
    const day = (d: number) => T0 + 10 * 86_400_000 + d * 86_400_000;
    await store.put(job(201, { at: day(0) + 3_600_000, repo: 'acme/sums' }));
    await store.put(job(202, { at: day(0) + 7_200_000, repo: 'acme/sums', runningAt: iso(day(0) + 7_208_000) }));
    await store.put(job(203, { at: day(2), repo: 'acme/sums' }));
    await store.put(job(204, { at: day(2), repo: 'acme/other' }));
    const { perDay, perRepository } = await store.aggregates({ repo: 'acme/sums', since: day(0), until: day(3) });
    expect(perDay).toEqual([
      // Queue times 4 s and 8 s: p50 = rank 1, p95 = rank ⌈1.9⌉ = 2.
      {
        day: iso(day(0)).slice(0, 10),
        jobs: 2,
        billedSeconds: 200,
        costUsd: 0.0024,
        avgQueueMs: 6_000,
        queueP50Ms: 4_000,
        queueP95Ms: 8_000,
      },
      {
        day: iso(day(2)).slice(0, 10),
        jobs: 1,
        billedSeconds: 100,
        costUsd: 0.0012,
        avgQueueMs: 4_000,
        queueP50Ms: 4_000,
        queueP95Ms: 4_000,
      },
    ]);
    expect(perRepository).toEqual([
      { repo: 'acme/sums', jobs: 3, billedSeconds: 300, costUsd: 0.0036, avgQueueMs: Math.round(16_000 / 3) },
      { repo: 'acme/other', jobs: 1, billedSeconds: 100, costUsd: 0.0012, avgQueueMs: 4_000 },
    ]);
  });

  it('keeps queue-time p50/p95 and cost per repository and day (nearest rank, jobs that never ran left out)', async () => {
    const d0 = T0 + 25 * 86_400_000;
    const d1 = d0 + 86_400_000;
    // acme/pct on d0: queue times 3, 1, 9, 4, 2 s (sorted 1 2 3 4 9: p50 = rank ⌈2.5⌉ = 3rd = 3 s, p95 = rank
    // ⌈4.75⌉ = 5th = 9 s) and a job that never ran (no queue time, still billed 100 s); on d1 one job of 7 s.
    // Each job is billed 100 s (pod +1 s → finished +101 s) = 0.0012 US$.
    const queued = [3, 1, 9, 4, 2];
    for (const [i, s] of queued.entries())
      await store.put(
        job(600 + i, { at: d0 + i * 60_000, repo: 'acme/pct', runningAt: iso(d0 + i * 60_000 + s * 1000) }),
      );
    const never = job(609, { at: d0 + 3_600_000, repo: 'acme/pct', status: 'failed' });
    delete (never as Partial<StoredJob>).runningAt;
    await store.put(never);
    await store.put(job(610, { at: d1 + 5_000, repo: 'acme/pct', runningAt: iso(d1 + 12_000) }));
    // acme/pct2 on d1: two jobs, 2 s and 6 s (p50 = rank 1 = 2 s, p95 = rank 2 = 6 s).
    await store.put(job(620, { at: d1, repo: 'acme/pct2', runningAt: iso(d1 + 2_000) }));
    await store.put(job(621, { at: d1, repo: 'acme/pct2', runningAt: iso(d1 + 6_000) }));
    const day0 = iso(d0).slice(0, 10);
    const day1 = iso(d1).slice(0, 10);
    const window = { since: d0, until: d1 + 86_400_000 };
    const pct = [
      {
        repo: 'acme/pct',
        day: day0,
        jobs: 6,
        billedSeconds: 600,
        costUsd: 0.0072,
        avgQueueMs: 3_800,
        queueP50Ms: 3_000,
        queueP95Ms: 9_000,
      },
      {
        repo: 'acme/pct',
        day: day1,
        jobs: 1,
        billedSeconds: 100,
        costUsd: 0.0012,
        avgQueueMs: 7_000,
        queueP50Ms: 7_000,
        queueP95Ms: 7_000,
      },
    ];
    const pct2 = [
      {
        repo: 'acme/pct2',
        day: day1,
        jobs: 2,
        billedSeconds: 200,
        costUsd: 0.0024,
        avgQueueMs: 4_000,
        queueP50Ms: 2_000,
        queueP95Ms: 6_000,
      },
    ];
    const all = await store.aggregates({ ...window, repo: 'acme/pct' });
    expect(all.perRepositoryDay.filter((r) => r.repo.startsWith('acme/pct'))).toEqual([...pct, ...pct2]);
    expect(all.perDay).toEqual(pct.map(({ repo: _, ...d }) => d));
    const one = await store.aggregates({ ...window, repo: 'acme/pct', repository: 'acme/pct2' });
    expect(one.perRepositoryDay).toEqual(pct2);
    // A job that now started later moves the day's percentiles with it.
    await store.put(job(620, { at: d1, repo: 'acme/pct2', runningAt: iso(d1 + 8_000) }));
    const moved = await store.aggregates({ ...window, repository: 'acme/pct2' });
    expect(moved.perRepositoryDay[0]).toMatchObject({ queueP50Ms: 6_000, queueP95Ms: 8_000 });
    // Sums over every repository carry no percentiles (they do not add up across repositories).
    const summed = await store.aggregates(window);
    expect(summed.perDay.every((d) => d.queueP50Ms === undefined && d.queueP95Ms === undefined)).toBe(true);
  });

  it('fills in the percentiles of days written before they were kept (migration 3)', async () => {
    const fresh = await open();
    try {
      await migrate(
        fresh,
        MIGRATIONS.filter((m) => m.version < 2),
      );
      const d = T0 + 3 * 86_400_000;
      const rows = [5, 1, 3].map((s, i) =>
        jobRow(job(700 + i, { at: d + i, repo: 'acme/old', runningAt: iso(d + i + s * 1000) }), PRICES, NOW),
      );
      // The columns of migration 1 (later migrations add the rest).
      const v1 = JOB_COLUMNS.slice(0, JOB_COLUMNS.indexOf('record') + 1);
      for (const row of rows)
        await fresh.run(
          `INSERT INTO jobs (${v1.join(', ')}) VALUES (${v1.map((_, i) => `$${i + 1}`).join(', ')})`,
          row.slice(0, v1.length),
        );
      expect(await migrate(fresh)).toEqual(MIGRATIONS.filter((m) => m.version >= 2).map((m) => m.version));
      const back = await fresh.query<{ p50: unknown; p95: unknown; n: unknown }>(
        'SELECT queue_p50_ms AS p50, queue_p95_ms AS p95, queue_n AS n FROM job_days WHERE repo = $1',
        ['acme/old'],
      );
      // Sorted 1 3 5 s: p50 = rank ⌈1.5⌉ = 2nd = 3 s, p95 = rank ⌈2.85⌉ = 3rd = 5 s.
      expect(back.map((r) => [Number(r.p50), Number(r.p95), Number(r.n)])).toEqual([[3_000, 5_000, 3]]);
    } finally {
      await fresh.close();
    }
  });

  it('reads the recent figures of one repository: queue times sorted, node types, running jobs', async () => {
    const at = T0 + 20 * 86_400_000;
    await store.put(job(301, { at, repo: 'acme/recent', runningAt: iso(at + 9_000) }));
    await store.put(job(302, { at, repo: 'acme/recent', node: { name: 'n1', type: 'regular' } }));
    const running = job(303, { at, repo: 'acme/recent', status: 'running' });
    delete (running as Partial<StoredJob>).finishedAt;
    await store.put(running);
    const pending = job(304, { at, repo: 'acme/recent', status: 'pending' });
    for (const k of ['runningAt', 'finishedAt', 'node'] as const) delete (pending as Partial<StoredJob>)[k];
    await store.put(pending);
    const r = await store.recent('acme/recent', at);
    expect(r.jobs).toBe(4);
    expect(r.queueMs).toEqual([4_000, 4_000, 9_000]);
    expect(r.nodeTypes).toEqual({ virtual: 2, regular: 1 });
    expect(r.running).toBe(2);
  });

  it("reads finished jobs' image uses for the autopilot: roles, prep seconds, cache hit; unfinished and old ones left out", async () => {
    const at = T0 + 25 * 86_400_000;
    const roles = [
      { ref: 'runner:2', role: 'runner' as const },
      { ref: 'node:20', role: 'job' as const },
      { ref: 'postgres:16', role: 'service' as const },
    ];
    const pulled = (s: string) => ({
      at: iso(at + 2_000),
      type: 'Normal' as const,
      reason: 'Pulled',
      message: `Successfully pulled image "node:20" in ${s}`,
    });
    await store.put(job(501, { at, repo: 'acme/img', imageRoles: roles, events: [pulled('12.5s')] }));
    const hit = {
      at: iso(at + 61_000),
      type: 'Normal' as const,
      reason: 'SuccessfulHitImageCache',
      message: 'Successfully hit image cache imc-1',
    };
    await store.put(
      job(502, {
        at: at + 60_000,
        repo: 'acme/img',
        imageRoles: roles,
        imageCache: { used: true, id: 'imc-1', images: [] },
        events: [hit, { ...pulled('1.5s'), at: iso(at + 62_000) }],
      }),
    );
    const running = job(503, { at: at + 120_000, repo: 'acme/img', status: 'running', imageRoles: roles });
    delete (running as Partial<StoredJob>).finishedAt;
    await store.put(running);
    await store.put(job(504, { at: at + 180_000, repo: 'acme/img' })); // an old record: no roles
    await store.put(job(505, { at: at - 86_400_000, repo: 'acme/img', imageRoles: roles })); // before the window
    const uses = await store.imageUses(at);
    expect(uses).toEqual([
      { repo: 'acme/img', at: at + 1_000, images: roles, prepSeconds: 12.5, fromCache: false },
      { repo: 'acme/img', at: at + 61_000, images: roles, prepSeconds: 1.5, fromCache: true },
    ]);
    // The limit keeps the newest.
    expect((await store.imageUses(at, 1)).map((u) => u.at)).toEqual([at + 61_000]);
    // The running job, once finished, is read too.
    await store.put({ ...running, status: 'succeeded', finishedAt: iso(at + 200_000) });
    expect((await store.imageUses(at)).map((u) => u.at)).toEqual([at + 1_000, at + 61_000, at + 121_000]);
    // Base images kaniko pulled, added to the finished record before cleanup (jobs/kaniko-bases.ts), are read too.
    const withBase = [...roles, { ref: 'golang:1.23', role: 'kaniko-base' as const }];
    await store.put(job(501, { at, repo: 'acme/img', imageRoles: withBase, events: [pulled('12.5s')] }));
    expect((await store.imageUses(at))[0]).toMatchObject({ at: at + 1_000, images: withBase });
  });

  it("keeps the autopilot's decisions: a rewrite replaces its row, newest first per repository", async () => {
    const at = T0 + 26 * 86_400_000;
    await store.putDecisions([
      { id: 'c-1', repo: 'acme/dec', at, decision: '{"action":"create"}' },
      { id: 'c-2', repo: 'acme/dec', at: at + 1_000, decision: '{"action":"keep"}' },
      { id: 'c-3', repo: 'acme/other', at, decision: '{}' },
    ]);
    await store.putDecisions([
      { id: 'c-2', repo: 'acme/dec', at: at + 1_000, decision: '{"action":"keep","repeats":3}' },
    ]);
    expect(await store.decisions('acme/dec', 10)).toEqual([
      { id: 'c-2', repo: 'acme/dec', at: at + 1_000, decision: '{"action":"keep","repeats":3}' },
      { id: 'c-1', repo: 'acme/dec', at, decision: '{"action":"create"}' },
    ]);
    expect((await store.decisions('acme/dec', 1)).map((d) => d.id)).toEqual(['c-2']);
  });

  it('deletes jobs queued before the retention cut', async () => {
    // Queued at T0: job 1 (acme/app) and jobs 50, 51 (acme/bulk); every other job later.
    const later = (await store.page({ repo: 'acme/paged', limit: 500 })).jobs.length;
    expect(await store.prune(T0 + 1)).toBe(3);
    expect((await store.page({ repo: 'acme/app', limit: 500 })).jobs).toEqual([]);
    expect((await store.page({ repo: 'acme/paged', limit: 500 })).jobs).toHaveLength(later);
  });
  it('keeps the day sums equal to the sums of their jobs through updates, concurrent writers and retention', async () => {
    const day = T0 + 30 * 86_400_000;
    const at = (i: number) => day + i * 3_600_000;
    // 20 writers at once (PostgreSQL: 20 pooled connections racing for the same day's sum).
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.put(job(400 + i, { at: at(i), repo: 'acme/roll' }))));
    // A job that ran longer than first written (its cost grows), and one that moved to the next day.
    await store.put(job(400, { at: at(0), repo: 'acme/roll', finishedAt: iso(at(0) + 201_000) }));
    await store.put(job(401, { at: day + 86_400_000, repo: 'acme/roll' }));
    const direct = async (from: number, to: number) => {
      const rows = await db.query<{ n: unknown; c: unknown; b: unknown }>(
        'SELECT COUNT(*) AS n, SUM(cost_usd) AS c, SUM(billed_seconds) AS b FROM jobs WHERE repo = $1 AND queued_at >= $2 AND queued_at < $3',
        ['acme/roll', from, to],
      );
      return {
        jobs: Number(rows[0]!.n),
        billedSeconds: Number(rows[0]!.b ?? 0),
        costUsd: Number(Number(rows[0]!.c ?? 0).toFixed(8)),
      };
    };
    const sums = async () =>
      (await store.aggregates({ repo: 'acme/roll', since: day, until: day + 2 * 86_400_000 })).perDay.map(
        ({ jobs, billedSeconds, costUsd }) => ({ jobs, billedSeconds, costUsd }),
      );
    expect(await sums()).toEqual([
      await direct(day, day + 86_400_000),
      await direct(day + 86_400_000, day + 2 * 86_400_000),
    ]);
    expect((await sums())[0]).toMatchObject({ jobs: 19, billedSeconds: 19 * 100 + 100 });
    // Retention cutting through the day: the day's sum is taken again from what is left.
    await store.prune(at(10));
    expect(await sums()).toEqual([
      await direct(day, day + 86_400_000),
      await direct(day + 86_400_000, day + 2 * 86_400_000),
    ]);
    expect((await sums())[0]!.jobs).toBe(10);
  });
}

describe('job history on SQLite (node-sqlite3-wasm)', () => {
  storeContract(async () => SqliteDriver.open(':memory:'));
});

describe('SQLite job history file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eci-history-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('persists across a close and reopen, creating its folder', async () => {
    const path = join(dir, 'nested', 'jobs.db');
    const a = await SqlJobHistory.open(SqliteDriver.open(path), PRICES, () => NOW);
    await a.put(job(7, { at: T0 }));
    await a.close();
    expect(existsSync(path)).toBe(true);
    const b = await SqlJobHistory.open(SqliteDriver.open(path), PRICES, () => NOW);
    expect((await b.get('7'))?.id).toBe('7');
    await b.close();
  });

  it('takes over from an owner that died mid-statement, removing the lock it left', async () => {
    const path = join(dir, 'locked.db');
    await (await SqlJobHistory.open(SqliteDriver.open(path), PRICES)).close();
    // A dead owner: a child process that has exited.
    const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    writeFileSync(`${path}.owner`, JSON.stringify({ pid: Number(dead.stdout.trim()), host: podIdentity() }));
    mkdirSync(`${path}.lock`);
    const past = (Date.now() - STALE_LOCK_MS - 1_000) / 1000;
    utimesSync(`${path}.lock`, past, past);
    const reopened = await SqlJobHistory.open(SqliteDriver.open(path), PRICES);
    expect(existsSync(`${path}.lock`)).toBe(false);
    expect(JSON.parse(readFileSync(`${path}.owner`, 'utf8'))).toEqual({ pid: process.pid, host: podIdentity() });
    await reopened.close();
    expect(existsSync(`${path}.owner`)).toBe(false);
  });

  it('is shared by two replicas: one writes, the other reads its commits; a fresh lock is waited on, not broken', async () => {
    const path = join(dir, 'shared.db');
    const leader = await SqlJobHistory.open(SqliteDriver.open(path), PRICES, () => NOW);
    const follower = await SqlJobHistory.open(SqliteDriver.open(path), PRICES, () => NOW);
    try {
      await leader.put(job(4242, { at: NOW - 60_000, repo: 'octo/shared' }));
      expect((await follower.get('4242'))?.repo).toBe('octo/shared');
      // Another replica mid-statement: a fresh lock is not broken, it holds readers off until it is released.
      mkdirSync(`${path}.lock`);
      expect(breakStaleLock(path)).toBe(false);
      const read = follower.get('4242');
      await new Promise((r) => setTimeout(r, 200));
      rmSync(`${path}.lock`, { recursive: true });
      expect((await read)?.id).toBe('4242');
      expect(breakStaleLock(path, Date.now() + STALE_LOCK_MS + 1)).toBe(false); // no lock left to break
    } finally {
      await follower.close();
      await leader.close();
    }
  });

  it('opens a file whose lock a killed process left behind, once the lock is stale', async () => {
    const path = join(dir, 'killed.db');
    await (await SqlJobHistory.open(SqliteDriver.open(path), PRICES)).close();
    // What kill -9 mid-statement leaves: the lock directory (here 9.5 s old: stale in half a second).
    mkdirSync(`${path}.lock`);
    const old = new Date(Date.now() - STALE_LOCK_MS + 500);
    utimesSync(`${path}.lock`, old, old);
    const started = Date.now();
    const history = await SqlJobHistory.open(SqliteDriver.open(path), PRICES);
    try {
      expect(existsSync(`${path}.lock`)).toBe(false);
      expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    } finally {
      await history.close();
    }
  });

  it('refuses a file owned by another live process of this host', async () => {
    const path = join(dir, 'owned.db');
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    try {
      writeFileSync(`${path}.owner`, JSON.stringify({ pid: other.pid, host: podIdentity() }));
      expect(() => SqliteDriver.open(path)).toThrow(/in use by process/);
    } finally {
      other.kill();
    }
  });

  it('is opened by a process of another pod on the same machine (POD_NAME tells pods apart), not of the same pod', async () => {
    const path = join(dir, 'pods.db');
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    const saved = process.env.POD_NAME;
    try {
      process.env.POD_NAME = 'controller-b';
      writeFileSync(`${path}.owner`, JSON.stringify({ pid: other.pid, host: 'controller-a' }));
      const history = await SqlJobHistory.open(SqliteDriver.open(path), PRICES);
      await history.close();
      writeFileSync(`${path}.owner`, JSON.stringify({ pid: other.pid, host: 'controller-b' }));
      expect(() => SqliteDriver.open(path)).toThrow(/in use by process/);
    } finally {
      if (saved === undefined) delete process.env.POD_NAME;
      else process.env.POD_NAME = saved;
      other.kill();
    }
  });
});

const noPostgres = postgresUnavailable();
if (noPostgres) process.stderr.write(`PostgreSQL job history tests skipped: ${noPostgres}\n`);
(noPostgres ? describe.skip : describe)('job history on PostgreSQL (a real server)', () => {
  let server: PostgresServer | undefined;
  beforeAll(async () => {
    server = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  }, 30_000);

  describe('over TCP', () => {
    let n = 0;
    storeContract(async () =>
      PostgresDriver.open({ connectionString: await server!.createDatabase(`history_tcp_${n++}`) }),
    );
  });

  it('connects over the unix socket too, and migrates concurrently from two replicas without harm', async () => {
    const url = (await server!.createDatabase('history_socket')).replace(/@127\.0\.0\.1:\d+\//, '@/');
    const socketUrl = `${url}?${server!.socketUrl.split('?')[1]}`;
    const [a, b] = [
      PostgresDriver.open({ connectionString: socketUrl }),
      PostgresDriver.open({ connectionString: socketUrl }),
    ];
    try {
      const applied = await Promise.all([migrate(a), migrate(b)]);
      expect(applied.flat().sort()).toEqual(MIGRATIONS.map((m) => m.version));
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
