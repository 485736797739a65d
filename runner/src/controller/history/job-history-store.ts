/**
 * Job history in a SQL database (SQLite by default, PostgreSQL in production): one row per job holding its stored
 * record as JSON plus the columns the portal filters, pages and sums on (status, node type, queue time, billed
 * seconds, cost). Rows are written by the record store (records/history-records.ts) and read by the portal API.
 * Cost and queue time in the columns are computed when the row is written (with the controller's prices); a running
 * job's figures therefore stand as of its last write, and are final once it finished.
 */
import type { JobStatus, NodeType } from '@eci-virtual/contract';
import type { StoredJob } from '../records/stored-job.js';
import type { ImageUse } from '../image-cache-autopilot/types.js';
import type { Dialect } from './sql-driver.js';

export interface JobPageQuery {
  repo: string;
  /** Only these statuses. */
  status?: readonly JobStatus[];
  workflow?: string;
  conclusion?: string;
  /** Queued at or after (ms since epoch). */
  since?: number;
  /** Queued before (ms since epoch). */
  until?: number;
  limit: number;
  /** The previous page's `next`: the page continues after that job. */
  after?: PageCursor;
}

/** Where a page ended: the last job's queue time and id (jobs are ordered newest first, ties by id). */
export interface PageCursor {
  queuedAt: number;
  id: string;
}

export interface JobPage {
  jobs: StoredJob[];
  /** Set when more jobs match. */
  next?: PageCursor;
}

export interface Totals {
  jobs: number;
  billedSeconds: number;
  costUsd: number;
  /** Mean queued → running of the jobs that started, ms. */
  avgQueueMs?: number;
}

/** Nearest-rank queue-time percentiles of one repository's started jobs of one day (computed by the database). */
export interface DayPercentiles {
  queueP50Ms?: number;
  queueP95Ms?: number;
}

export interface DayTotals extends Totals, DayPercentiles {
  /** UTC day the jobs were queued, `YYYY-MM-DD`. */
  day: string;
}

/** One repository on one day. */
export interface RepoDayTotals extends DayTotals {
  repo: string;
}

export interface RepoTotals extends Totals {
  repo: string;
}

/** Whole UTC days: `since` is taken back to its midnight, `until` forward to the next one. */
export interface WindowQuery {
  since: number;
  until: number;
  /**
   * Per-day totals of this repository only, with its daily queue-time percentiles (per-repository totals always
   * cover every repository; without it per-day totals sum every repository and carry no percentiles).
   */
  repo?: string;
  /** `perRepositoryDay` of this repository only (default: every repository). */
  repository?: string;
}

export interface HistoryAggregates {
  perDay: DayTotals[];
  perRepository: RepoTotals[];
  /** Each repository (or only `repository`) per day, by repository then day. */
  perRepositoryDay: RepoDayTotals[];
}

/** What the 7-day summary of one repository needs, read without loading its records. */
export interface RecentFigures {
  queueMs: number[];
  nodeTypes: { virtual: number; regular: number };
  costUsd: number;
  jobs: number;
  running: number;
}

/** One image-cache autopilot decision as kept (image-cache-autopilot/decision-store.ts writes and reads them). */
export interface StoredDecision {
  id: string;
  repo: string;
  /** When it was first made (ms since epoch). */
  at: number;
  decision: string;
}

export interface JobHistoryStore {
  readonly dialect: Dialect;
  /** Inserts or replaces the job's row. */
  put(job: StoredJob): Promise<void>;
  /** `put` of many jobs in one transaction (the last of one id wins): imports and benchmarks. */
  putMany(jobs: readonly StoredJob[]): Promise<void>;
  get(id: string): Promise<StoredJob | undefined>;
  page(q: JobPageQuery): Promise<JobPage>;
  aggregates(q: WindowQuery): Promise<HistoryAggregates>;
  /** The figures of `repo`'s jobs queued since `since`, and how many of its jobs run or wait for a pod now. */
  recent(repo: string, since: number): Promise<RecentFigures>;
  /**
   * The image-cache autopilot's history: each finished job whose pod was created at or after `since` — its pod's
   * images by role, their preparation time and whether a cache served them — oldest first, at most `limit` (newest
   * kept).
   */
  imageUses(since: number, limit?: number): Promise<ImageUse[]>;
  /** Inserts or replaces autopilot decisions (`decision`: the JSON of one logged decision), in one transaction. */
  putDecisions(rows: readonly StoredDecision[]): Promise<void>;
  /** `repo`'s autopilot decisions, newest first (by when first made), at most `limit`. */
  decisions(repo: string, limit: number): Promise<StoredDecision[]>;
  /** Deletes the jobs queued before `before` (retention), and the autopilot decisions made before it; returns how many jobs. */
  prune(before: number): Promise<number>;
  close(): Promise<void>;
}

export type { NodeType };
