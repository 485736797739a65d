/**
 * JobHistoryStore over a SqlDriver: the same statements for SQLite and PostgreSQL. Pages use keyset paging on the
 * (repo, queued_at, id) index, so a page costs the same at any depth. Sums come from job_days, one row per
 * repository and UTC day, recomputed from the jobs of that day in the transaction that writes one of them, so
 * 30-day aggregates read about 30 rows per repository whatever the number of jobs.
 */
import { roundMoney } from '../cost/eci-price-model.js';
import { utcDay } from '../cost/cost-aggregates.js';
import type { ImageUse } from '../image-cache-autopilot/types.js';
import type { StoredJob } from '../records/stored-job.js';
import { JOB_COLUMNS, jobFromRow, jobRow, type Prices } from './history-row.js';
import type {
  StoredDecision,
  DayTotals,
  HistoryAggregates,
  JobHistoryStore,
  JobPage,
  JobPageQuery,
  RecentFigures,
  RepoDayTotals,
  RepoTotals,
  WindowQuery,
} from './job-history-store.js';
import { DAY_MS, migrate, queuePercentileSql } from './migrations.js';
import type { SqlDriver, SqlValue } from './sql-driver.js';

/** An upsert of `rows` rows (numbered placeholders, row after row). */
const upsert = (rows: number) => `INSERT INTO jobs (${JOB_COLUMNS.join(', ')}) VALUES ${Array.from(
  { length: rows },
  (_, r) => `(${JOB_COLUMNS.map((_, i) => `$${r * JOB_COLUMNS.length + i + 1}`).join(', ')})`,
).join(', ')}
  ON CONFLICT (id) DO UPDATE SET ${JOB_COLUMNS.slice(1)
    .map((c) => `${c} = excluded.${c}`)
    .join(', ')}`;
/** Rows per statement in putMany: 500 × 17 parameters stays under both databases' parameter limits. */
const BATCH = 500;

/** One (repository, day) of job_days recomputed from its jobs: the rollup is always the sum of its rows. */
const RECOMPUTE_DAY = `INSERT INTO job_days
    (repo, day, jobs, billed_seconds, cost_usd, queue_ms_sum, queue_n, queue_p50_ms, queue_p95_ms)
  SELECT CAST($1 AS TEXT), CAST($2 AS BIGINT), COUNT(*), COALESCE(SUM(billed_seconds), 0), COALESCE(SUM(cost_usd), 0),
         COALESCE(SUM(queue_ms), 0), COUNT(queue_ms),
         ${queuePercentileSql(50, 'CAST($1 AS TEXT)', '$3', '$4')}, ${queuePercentileSql(95, 'CAST($1 AS TEXT)', '$3', '$4')}
  FROM jobs WHERE repo = $1 AND queued_at >= $3 AND queued_at < $4
  ON CONFLICT (repo, day) DO UPDATE SET jobs = excluded.jobs, billed_seconds = excluded.billed_seconds,
    cost_usd = excluded.cost_usd, queue_ms_sum = excluded.queue_ms_sum, queue_n = excluded.queue_n,
    queue_p50_ms = excluded.queue_p50_ms, queue_p95_ms = excluded.queue_p95_ms`;

/** Sums of job_days rows; BIGINT/NUMERIC arrive as strings from PostgreSQL. */
const SUMS = `SUM(jobs) AS jobs, SUM(billed_seconds) AS billed, SUM(cost_usd) AS cost,
  SUM(queue_ms_sum) AS queue_sum, SUM(queue_n) AS queue_n`;

/** One job_days row as it is read for perRepositoryDay. */
const DAY_COLUMNS = `repo, day, jobs, billed_seconds AS billed, cost_usd AS cost, queue_ms_sum AS queue_sum,
  queue_n, queue_p50_ms AS p50, queue_p95_ms AS p95`;

type Tx = Parameters<Parameters<SqlDriver['transaction']>[0]>[0];
type DayKey = { repo: string; day: number };
const keyOf = (k: DayKey) => `${k.day}\u0000${k.repo}`;

type SumRow = {
  jobs: unknown;
  billed: unknown;
  cost: unknown;
  queue_sum: unknown;
  queue_n: unknown;
};

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

/** Percentile columns: absent when no job of the day started. */
const percentiles = (r: { p50?: unknown; p95?: unknown }) => ({
  ...(r.p50 !== null && r.p50 !== undefined ? { queueP50Ms: num(r.p50) } : {}),
  ...(r.p95 !== null && r.p95 !== undefined ? { queueP95Ms: num(r.p95) } : {}),
});

const totals = (r: SumRow) => {
  const queued = num(r.queue_n);
  return {
    jobs: num(r.jobs),
    billedSeconds: num(r.billed),
    costUsd: roundMoney(num(r.cost)),
    ...(queued ? { avgQueueMs: Math.round(num(r.queue_sum) / queued) } : {}),
  };
};

/** Writes of one job waiting for the next group commit: its newest record and everyone waiting for it. */
interface PendingPut {
  job: StoredJob;
  waiters: { resolve: () => void; reject: (err: unknown) => void }[];
}

export interface SqlJobHistoryOptions {
  /**
   * At most one write transaction per this long (group commit); default GROUP_COMMIT_MS. A write after a quiet spell
   * commits within GROUP_COMMIT_MIN_MS; while writes keep coming they gather for the next slot. Every transaction
   * costs a lock and, on SQLite, fsyncs of the journal and the file plus a recount of the day's sums, all on the
   * controller's event loop: one per record change was most of a busy controller's CPU (measured: 44 % of the
   * leader's CPU at 20 jobs/s in `yarn bench fleet`, its launches waiting behind the blocked loop).
   */
  groupCommitMs?: number;
}

/** The default group-commit interval: while writes keep coming, a record change is in the database within this. */
export const GROUP_COMMIT_MS = 200;
/** How long the first write after a quiet spell waits for company. */
const GROUP_COMMIT_MIN_MS = 10;

export class SqlJobHistory implements JobHistoryStore {
  /** The writes gathering for the next commit, by job id (a job's later record replaces its earlier one). */
  private pending = new Map<string, PendingPut>();
  private commitTimer: NodeJS.Timeout | undefined;
  private committing: Promise<void> = Promise.resolve();
  /** When the last group commit started (ms since epoch, wall clock: only intervals are taken from it). */
  private lastCommitAt = 0;

  private constructor(
    private readonly db: SqlDriver,
    private readonly prices: Prices,
    private readonly now: () => number,
    private readonly groupCommitMs: number,
  ) {}

  /** Migrates the schema to the newest version, then serves. */
  static async open(
    db: SqlDriver,
    prices: Prices,
    now: () => number = Date.now,
    opts: SqlJobHistoryOptions = {},
  ): Promise<SqlJobHistory> {
    await migrate(db);
    return new SqlJobHistory(db, prices, now, opts.groupCommitMs ?? GROUP_COMMIT_MS);
  }

  get dialect() {
    return this.db.dialect;
  }

  /**
   * Writes the job's row; resolves once it is committed. Writes within `groupCommitMs` of each other share one
   * transaction (putMany); when that transaction fails, each job is written on its own, so one bad record fails only
   * its own writers.
   */
  put(job: StoredJob): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiter = { resolve, reject };
      const known = this.pending.get(job.id);
      if (known) {
        known.job = job;
        known.waiters.push(waiter);
      } else this.pending.set(job.id, { job, waiters: [waiter] });
      if (this.commitTimer) return;
      const wait = Math.max(
        Math.min(GROUP_COMMIT_MIN_MS, this.groupCommitMs),
        this.lastCommitAt + this.groupCommitMs - Date.now(),
      );
      this.commitTimer = setTimeout(() => void this.commitPending(), wait);
    });
  }

  /** Commits the gathered writes (after the commit in progress, so a job's records land in order). */
  private commitPending(): Promise<void> {
    clearTimeout(this.commitTimer);
    this.commitTimer = undefined;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    if (!batch.length) return this.committing;
    this.lastCommitAt = Date.now();
    this.committing = this.committing.then(() => this.commitBatch(batch));
    return this.committing;
  }

  private async commitBatch(batch: PendingPut[]): Promise<void> {
    const settle = (p: PendingPut, err?: unknown) =>
      p.waiters.forEach((w) => (err === undefined ? w.resolve() : w.reject(err)));
    try {
      await this.putMany(batch.map((p) => p.job));
      batch.forEach((p) => settle(p));
    } catch (err) {
      if (batch.length === 1) return settle(batch[0]!, err);
      for (const p of batch)
        await this.putMany([p.job]).then(
          () => settle(p),
          (e: unknown) => settle(p, e),
        );
    }
  }

  async putMany(jobs: readonly StoredJob[]): Promise<void> {
    // One row per id (an upsert may not touch a row twice in one statement); the last record of an id wins.
    const unique = [...new Map(jobs.map((j) => [j.id, j])).values()];
    const now = this.now();
    await this.db.transaction(async (tx) => {
      const keys: DayKey[] = [];
      for (let i = 0; i < unique.length; i += BATCH) {
        const batch = unique.slice(i, i + BATCH);
        const marks = batch.map((_, n) => `$${n + 1}`).join(', ');
        const before = await tx.query<{ repo: string; queued_at: unknown }>(
          `SELECT repo, queued_at FROM jobs WHERE id IN (${marks})`,
          batch.map((j) => j.id),
        );
        for (const b of before) keys.push({ repo: b.repo, day: Math.floor(num(b.queued_at) / DAY_MS) });
        for (const j of batch) keys.push({ repo: j.repo, day: Math.floor(Date.parse(j.queuedAt) / DAY_MS) });
        await tx.run(
          upsert(batch.length),
          batch.flatMap((j) => jobRow(j, this.prices, now)),
        );
      }
      await this.recompute(tx, keys);
    });
  }

  /**
   * Recomputes the job_days rows of `keys` in the caller's transaction. On PostgreSQL each (repository, day) is
   * locked first (advisory, until commit), in one order, so two writers of the same day cannot both sum without
   * seeing the other's row: the second one's sum runs after the first committed.
   */
  private async recompute(tx: Tx, keys: readonly DayKey[]): Promise<void> {
    const unique = [...new Map(keys.map((k) => [keyOf(k), k])).values()].sort((a, b) =>
      keyOf(a).localeCompare(keyOf(b)),
    );
    for (const k of unique) {
      if (tx.dialect === 'postgres')
        await tx.query('SELECT pg_advisory_xact_lock(hashtext($1), CAST($2 AS INTEGER))', [k.repo, k.day]);
      await tx.run(RECOMPUTE_DAY, [k.repo, k.day, k.day * DAY_MS, (k.day + 1) * DAY_MS]);
    }
  }

  async get(id: string): Promise<StoredJob | undefined> {
    const rows = await this.db.query<{ record: unknown }>('SELECT record FROM jobs WHERE id = $1', [id]);
    return rows[0] ? jobFromRow(rows[0]) : undefined;
  }

  async page(q: JobPageQuery): Promise<JobPage> {
    const where = ['repo = $1'];
    const params: SqlValue[] = [q.repo];
    const add = (clause: (n: string) => string, value: SqlValue) => {
      params.push(value);
      where.push(clause(`$${params.length}`));
    };
    if (q.since !== undefined) add((p) => `queued_at >= ${p}`, q.since);
    if (q.until !== undefined) add((p) => `queued_at < ${p}`, q.until);
    if (q.workflow) add((p) => `workflow = ${p}`, q.workflow);
    if (q.conclusion) add((p) => `conclusion = ${p}`, q.conclusion);
    if (q.status?.length) {
      const marks = q.status.map((s) => {
        params.push(s);
        return `$${params.length}`;
      });
      where.push(`status IN (${marks.join(', ')})`);
    }
    if (q.after) {
      params.push(q.after.queuedAt, q.after.id);
      const [t, id] = [`$${params.length - 1}`, `$${params.length}`];
      where.push(`(queued_at < ${t} OR (queued_at = ${t} AND id < ${id}))`);
    }
    params.push(q.limit + 1);
    const rows = await this.db.query<{ record: unknown }>(
      `SELECT record FROM jobs WHERE ${where.join(' AND ')} ORDER BY queued_at DESC, id DESC LIMIT $${params.length}`,
      params,
    );
    const jobs = rows.slice(0, q.limit).map(jobFromRow);
    const last = jobs.at(-1);
    return {
      jobs,
      ...(rows.length > q.limit && last ? { next: { queuedAt: Date.parse(last.queuedAt), id: last.id } } : {}),
    };
  }

  async aggregates(q: WindowQuery): Promise<HistoryAggregates> {
    const [from, to] = [Math.floor(q.since / DAY_MS), Math.ceil(q.until / DAY_MS)];
    // One repository: one job_days row per day, whose percentiles are that day's (MAX picks the only one).
    const perDayRows = q.repo
      ? await this.db.query<SumRow & { day: unknown; p50: unknown; p95: unknown }>(
          `SELECT day, ${SUMS}, MAX(queue_p50_ms) AS p50, MAX(queue_p95_ms) AS p95
           FROM job_days WHERE repo = $1 AND day >= $2 AND day < $3 GROUP BY day`,
          [q.repo, from, to],
        )
      : await this.db.query<SumRow & { day: unknown; p50?: unknown; p95?: unknown }>(
          `SELECT day, ${SUMS} FROM job_days WHERE day >= $1 AND day < $2 GROUP BY day`,
          [from, to],
        );
    const perRepoRows = await this.db.query<SumRow & { repo: string }>(
      `SELECT repo, ${SUMS} FROM job_days WHERE day >= $1 AND day < $2 GROUP BY repo`,
      [from, to],
    );
    const repoDayRows = await this.db.query<SumRow & { repo: string; day: unknown; p50: unknown; p95: unknown }>(
      q.repository
        ? `SELECT ${DAY_COLUMNS} FROM job_days WHERE repo = $3 AND day >= $1 AND day < $2 AND jobs > 0`
        : `SELECT ${DAY_COLUMNS} FROM job_days WHERE day >= $1 AND day < $2 AND jobs > 0`,
      q.repository ? [from, to, q.repository] : [from, to],
    );
    const perDay: DayTotals[] = perDayRows
      .filter((r) => num(r.jobs) > 0)
      .map((r) => ({ day: utcDay(num(r.day) * DAY_MS), ...totals(r), ...percentiles(r) }))
      .sort((a, b) => a.day.localeCompare(b.day));
    const perRepository: RepoTotals[] = perRepoRows
      .filter((r) => num(r.jobs) > 0)
      .map((r) => ({ repo: r.repo, ...totals(r) }))
      .sort((a, b) => b.costUsd - a.costUsd || a.repo.localeCompare(b.repo));
    const perRepositoryDay: RepoDayTotals[] = repoDayRows
      .map((r) => ({ repo: r.repo, day: utcDay(num(r.day) * DAY_MS), ...totals(r), ...percentiles(r) }))
      .sort((a, b) => a.repo.localeCompare(b.repo) || a.day.localeCompare(b.day));
    return { perDay, perRepository, perRepositoryDay };
  }

  async recent(repo: string, since: number): Promise<RecentFigures> {
    const rows = await this.db.query<{
      status: string;
      node_type: string | null;
      queue_ms: unknown;
      cost_usd: unknown;
    }>('SELECT status, node_type, queue_ms, cost_usd FROM jobs WHERE repo = $1 AND queued_at >= $2', [repo, since]);
    const out: RecentFigures = {
      queueMs: [],
      nodeTypes: { virtual: 0, regular: 0 },
      costUsd: 0,
      jobs: rows.length,
      running: 0,
    };
    let cost = 0;
    for (const r of rows) {
      if (r.queue_ms !== null && r.queue_ms !== undefined) out.queueMs.push(num(r.queue_ms));
      if (r.node_type === 'virtual' || r.node_type === 'regular') out.nodeTypes[r.node_type]++;
      cost += num(r.cost_usd);
      if (r.status === 'running' || r.status === 'pending') out.running++;
    }
    out.costUsd = roundMoney(cost);
    out.queueMs.sort((a, b) => a - b);
    return out;
  }

  async imageUses(since: number, limit = 20_000): Promise<ImageUse[]> {
    const rows = await this.db.query<{
      repo: string;
      pod_created_at: unknown;
      image_uses: unknown;
      prep_seconds: unknown;
      from_cache: unknown;
    }>(
      `SELECT repo, pod_created_at, image_uses, prep_seconds, from_cache FROM jobs
       WHERE pod_created_at >= $1 AND image_uses IS NOT NULL ORDER BY pod_created_at DESC, id DESC LIMIT $2`,
      [since, limit],
    );
    const out: ImageUse[] = [];
    for (const r of rows.reverse()) {
      let images: ImageUse['images'];
      try {
        images = JSON.parse(String(r.image_uses)) as ImageUse['images'];
      } catch {
        continue;
      }
      if (!Array.isArray(images)) continue;
      out.push({
        repo: r.repo,
        at: num(r.pod_created_at),
        images,
        ...(r.prep_seconds !== null && r.prep_seconds !== undefined ? { prepSeconds: num(r.prep_seconds) } : {}),
        ...(r.from_cache !== null && r.from_cache !== undefined ? { fromCache: num(r.from_cache) === 1 } : {}),
      });
    }
    return out;
  }

  async putDecisions(rows: readonly StoredDecision[]): Promise<void> {
    if (!rows.length) return;
    await this.db.transaction(async (tx) => {
      for (const r of rows)
        await tx.run(
          `INSERT INTO autopilot_decisions (id, repo, at, decision) VALUES ($1, $2, $3, $4)
           ON CONFLICT (id) DO UPDATE SET repo = excluded.repo, at = excluded.at, decision = excluded.decision`,
          [r.id, r.repo, r.at, r.decision],
        );
    });
  }

  async decisions(repo: string, limit: number): Promise<StoredDecision[]> {
    const rows = await this.db.query<{ id: string; repo: string; at: unknown; decision: unknown }>(
      `SELECT id, repo, at, decision FROM autopilot_decisions WHERE repo = $1 ORDER BY at DESC, id DESC LIMIT $2`,
      [repo, limit],
    );
    return rows.map((r) => ({ id: r.id, repo: r.repo, at: num(r.at), decision: String(r.decision) }));
  }

  async prune(before: number): Promise<number> {
    return this.db.transaction(async (tx) => {
      await tx.run('DELETE FROM autopilot_decisions WHERE at < $1', [before]);
      const deleted = await tx.run('DELETE FROM jobs WHERE queued_at < $1', [before]);
      const cut = Math.floor(before / DAY_MS);
      await tx.run('DELETE FROM job_days WHERE day < $1', [cut]);
      // The day the cut falls in lost some of its jobs: sum it again.
      const left = await tx.query<{ repo: string }>('SELECT repo FROM job_days WHERE day = $1', [cut]);
      await this.recompute(
        tx,
        left.map((r) => ({ repo: r.repo, day: cut })),
      );
      return deleted;
    });
  }

  /** Commits what is gathered, then closes the database. */
  async close(): Promise<void> {
    await this.commitPending();
    return this.db.close();
  }
}
