/**
 * JobHistoryStore over a SqlDriver: the same statements for SQLite and PostgreSQL. Pages use keyset paging on the
 * (repo, queued_at, id) index, so a page costs the same at any depth; sums read only index columns (the covering
 * indexes of migrations.ts), never the JSON records.
 */
import { roundMoney } from '../cost/eci-price-model.js';
import { utcDay } from '../cost/cost-aggregates.js';
import type { StoredJob } from '../records/stored-job.js';
import { JOB_COLUMNS, jobFromRow, jobRow, type Prices } from './history-row.js';
import type {
  DayTotals,
  HistoryAggregates,
  JobHistoryStore,
  JobPage,
  JobPageQuery,
  RecentFigures,
  RepoTotals,
  WindowQuery,
} from './job-history-store.js';
import { migrate } from './migrations.js';
import type { SqlDriver, SqlValue } from './sql-driver.js';

const DAY_MS = 86_400_000;

/** An upsert of `rows` rows (numbered placeholders, row after row). */
const upsert = (rows: number) => `INSERT INTO jobs (${JOB_COLUMNS.join(', ')}) VALUES ${Array.from(
  { length: rows },
  (_, r) => `(${JOB_COLUMNS.map((_, i) => `$${r * JOB_COLUMNS.length + i + 1}`).join(', ')})`,
).join(', ')}
  ON CONFLICT (id) DO UPDATE SET ${JOB_COLUMNS.slice(1)
    .map((c) => `${c} = excluded.${c}`)
    .join(', ')}`;
const UPSERT = upsert(1);
/** Rows per statement in putMany: 500 × 13 parameters stays under both databases' parameter limits. */
const BATCH = 500;

/** Sums of one group; BIGINT/NUMERIC arrive as strings from PostgreSQL. */
const SUMS = `COUNT(*) AS jobs, SUM(billed_seconds) AS billed, SUM(cost_usd) AS cost,
  SUM(queue_ms) AS queue_sum, COUNT(queue_ms) AS queue_n`;

type SumRow = {
  jobs: unknown;
  billed: unknown;
  cost: unknown;
  queue_sum: unknown;
  queue_n: unknown;
};

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

const totals = (r: SumRow) => {
  const queued = num(r.queue_n);
  return {
    jobs: num(r.jobs),
    billedSeconds: num(r.billed),
    costUsd: roundMoney(num(r.cost)),
    ...(queued ? { avgQueueMs: Math.round(num(r.queue_sum) / queued) } : {}),
  };
};

export class SqlJobHistory implements JobHistoryStore {
  private constructor(
    private readonly db: SqlDriver,
    private readonly prices: Prices,
    private readonly now: () => number,
  ) {}

  /** Migrates the schema to the newest version, then serves. */
  static async open(db: SqlDriver, prices: Prices, now: () => number = Date.now): Promise<SqlJobHistory> {
    await migrate(db);
    return new SqlJobHistory(db, prices, now);
  }

  get dialect() {
    return this.db.dialect;
  }

  async put(job: StoredJob): Promise<void> {
    await this.db.run(UPSERT, jobRow(job, this.prices, this.now()));
  }

  async putMany(jobs: readonly StoredJob[]): Promise<void> {
    // One row per id (an upsert may not touch a row twice in one statement); the last record of an id wins.
    const unique = [...new Map(jobs.map((j) => [j.id, j])).values()];
    const now = this.now();
    await this.db.transaction(async (tx) => {
      for (let i = 0; i < unique.length; i += BATCH) {
        const batch = unique.slice(i, i + BATCH);
        await tx.run(
          upsert(batch.length),
          batch.flatMap((j) => jobRow(j, this.prices, now)),
        );
      }
    });
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
    const day = `queued_at / ${DAY_MS}`;
    const perDayRows = q.repo
      ? await this.db.query<SumRow & { d: unknown }>(
          `SELECT ${day} AS d, ${SUMS} FROM jobs WHERE repo = $1 AND queued_at >= $2 AND queued_at < $3 GROUP BY d`,
          [q.repo, q.since, q.until],
        )
      : await this.db.query<SumRow & { d: unknown }>(
          `SELECT ${day} AS d, ${SUMS} FROM jobs ${this.windowIndex()} WHERE queued_at >= $1 AND queued_at < $2 GROUP BY d`,
          [q.since, q.until],
        );
    const perRepoRows = await this.db.query<SumRow & { repo: string }>(
      `SELECT repo, ${SUMS} FROM jobs ${this.windowIndex()} WHERE queued_at >= $1 AND queued_at < $2 GROUP BY repo`,
      [q.since, q.until],
    );
    const perDay: DayTotals[] = perDayRows
      .map((r) => ({ day: utcDay(num(r.d) * DAY_MS), ...totals(r) }))
      .sort((a, b) => a.day.localeCompare(b.day));
    const perRepository: RepoTotals[] = perRepoRows
      .map((r) => ({ repo: r.repo, ...totals(r) }))
      .sort((a, b) => b.costUsd - a.costUsd || a.repo.localeCompare(b.repo));
    return { perDay, perRepository };
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

  async prune(before: number): Promise<number> {
    return this.db.run('DELETE FROM jobs WHERE queued_at < $1', [before]);
  }

  close(): Promise<void> {
    return this.db.close();
  }

  /**
   * SQLite's planner would walk the page index for GROUP BY repo order and read every row; the window index covers
   * the sums and reads only the window. PostgreSQL's planner picks it by itself.
   */
  private windowIndex(): string {
    return this.db.dialect === 'sqlite' ? 'INDEXED BY jobs_window' : '';
  }
}
