/**
 * The job records in the history database, with Kubernetes ConfigMaps (job-records.ts) as a short-lived
 * write-ahead spill: a write the database refuses (PostgreSQL restarting, a full disk) goes to the job's ConfigMap
 * instead, and a drain loop moves spilled records into the database as soon as it takes writes again, deleting each
 * ConfigMap once its row is written. Nothing the lifecycle wrote is lost while the database is briefly away, and
 * ConfigMaps exist only for that while.
 *
 * One writer per job at a time: the leader's lifecycle is the only writer (lifecycle/one-writer.test.ts), and
 * updates of one job are chained here, so read-change-write needs no optimistic precondition.
 *
 * While the database is away a change needs the job's current record from somewhere: the ConfigMap when the job
 * was spilled, else the records this store last read or wrote (the leader writes every record, so active jobs are
 * there). A job found in neither (a new job, or one a previous leader wrote) is changed from nothing, and when its
 * spilled record is drained it is laid over the job's row: the row's fields the record lacks are kept, events are
 * merged, and a finished row's outcome is not undone.
 */
import type { Logger } from '../../observability/logger.js';
import type { JobHistoryStore } from '../history/job-history-store.js';
import type { JobRecords } from './job-records.js';
import { mergeEvents, type JobRecordStore, type RecordChange, type StoredJob } from './stored-job.js';

/** The ConfigMap records (job-records.ts) as this store uses them. */
export type WriteAhead = Pick<JobRecords, 'get' | 'list' | 'listAll' | 'update' | 'delete' | 'prune'>;

const DRAIN_INTERVAL_MS = 10_000;
const DAY_MS = 86_400_000;
/** Records kept in memory for changes while the database is away (a few hours of jobs at 50 concurrent). */
const CACHED_RECORDS = 5_000;
const FINISHED = new Set<StoredJob['status']>(['succeeded', 'failed', 'cancelled']);

/** `spilled` (changed from nothing while the database was away) laid over the job's `row`. */
export function overlay(row: StoredJob, spilled: StoredJob): StoredJob {
  const defined = Object.fromEntries(Object.entries(spilled).filter(([, v]) => v !== undefined)) as Partial<StoredJob>;
  const merged: StoredJob = { ...row, ...defined, events: mergeEvents(row.events, spilled.events) };
  if (FINISHED.has(row.status) && !FINISHED.has(spilled.status)) {
    merged.status = row.status;
    if (row.finishedAt) merged.finishedAt = row.finishedAt;
    if (row.conclusion) merged.conclusion = row.conclusion;
  }
  return merged;
}

export class HistoryRecords implements JobRecordStore {
  /** Jobs whose newest record is in a ConfigMap, not (yet) in the database. */
  private readonly spilled = new Set<string>();
  /** Spilled jobs whose change started from nothing (their row could not be read): overlaid when drained. */
  private readonly blind = new Set<string>();
  private readonly cache = new Map<string, StoredJob>();
  /**
   * Jobs whose cached record this store wrote itself. As the term's only writer (`soleWriter`), their next change
   * starts from that record instead of reading the row back: a read per change was a lock and a statement on the
   * controller's event loop for a record it already held.
   */
  private readonly written = new Set<string>();
  private readonly chains = new Map<string, Promise<unknown>>();
  private drainTimer: NodeJS.Timeout | undefined;
  private draining: Promise<void> | undefined;

  constructor(
    private readonly history: JobHistoryStore,
    private readonly spill: WriteAhead,
    private readonly retentionDays: number,
    private readonly log: Logger,
    /** This store is the only writer of the records for its whole life (the leader's store of one term). */
    private readonly soleWriter = false,
  ) {}

  async get(id: string): Promise<StoredJob | undefined> {
    return (await this.read(id)).record;
  }

  /** The job's newest record; `blind` when the database could not be read and no other copy was found. */
  private async read(id: string): Promise<{ record: StoredJob | undefined; blind: boolean }> {
    if (this.spilled.has(id)) return { record: await this.spill.get(id), blind: false };
    if (this.soleWriter && this.written.has(id)) return { record: this.cache.get(id), blind: false };
    try {
      const record = await this.history.get(id);
      if (record) this.remember(record);
      return { record, blind: false };
    } catch (err) {
      this.log.debug('job history unreadable; using the last known record', { job: id, err: (err as Error).message });
      const known = this.cache.get(id) ?? (await this.spill.get(id));
      return { record: known, blind: !known };
    }
  }

  private remember(record: StoredJob, written = false): void {
    this.cache.delete(record.id);
    this.cache.set(record.id, record);
    if (written) this.written.add(record.id);
    else this.written.delete(record.id);
    if (this.cache.size > CACHED_RECORDS) {
      const oldest = this.cache.keys().next().value!;
      this.cache.delete(oldest);
      this.written.delete(oldest);
    }
  }

  /** The repository's newest records (at most 500), spilled ones included. */
  async list(repo: string): Promise<StoredJob[]> {
    const { jobs } = await this.history.page({ repo, limit: 500 });
    if (!this.spilled.size) return jobs;
    const spilled = (await this.spill.list(repo)).filter((j) => this.spilled.has(j.id));
    const ids = new Set(spilled.map((j) => j.id));
    return [...spilled, ...jobs.filter((j) => !ids.has(j.id))];
  }

  update(id: string, change: RecordChange): Promise<void> {
    return this.enqueue(id, () => this.apply(id, change));
  }

  /** Deletes the rows older than the retention, and expired write-ahead ConfigMaps; returns how many of both. */
  async prune(now = Date.now()): Promise<number> {
    const rows = await this.history.prune(now - this.retentionDays * DAY_MS);
    return rows + (await this.spill.prune(now));
  }

  /**
   * Moves every spilled record into the database (the ones a previous leader left too); returns how many. Called
   * at the start of a term and, while anything is spilled, every DRAIN_INTERVAL_MS.
   */
  drain(): Promise<void> {
    this.draining ??= this.drainOnce().finally(() => (this.draining = undefined));
    return this.draining;
  }

  /** Stops the drain loop (the term ended; the next leader drains what is left). */
  stop(): void {
    clearTimeout(this.drainTimer);
    this.drainTimer = undefined;
  }

  private async apply(id: string, change: RecordChange): Promise<void> {
    const { record: current, blind } = await this.read(id);
    const next = change(current);
    if (!next || (current && JSON.stringify(next) === JSON.stringify(current))) return;
    this.remember(next);
    try {
      if (blind) throw new Error('the job history is unreadable');
      await this.history.put(next);
      if (this.cache.get(id) === next) this.remember(next, true);
    } catch (err) {
      this.log.warn('job history refused a write; the record waits in a ConfigMap until the database is back', {
        job: id,
        err: (err as Error).message,
      });
      await this.spill.update(id, () => next);
      if (blind) this.blind.add(id);
      this.spilled.add(id);
      this.scheduleDrain();
      return;
    }
    if (this.spilled.delete(id)) await this.spill.delete(id).catch(() => this.spilled.add(id));
  }

  private async drainOnce(): Promise<void> {
    let ids: string[];
    try {
      ids = (await this.spill.listAll()).map((r) => r.id);
    } catch (err) {
      this.log.warn('could not list the job records waiting for the database', { err: (err as Error).message });
      this.scheduleDrain();
      return;
    }
    // A ConfigMap record is newer than the job's row (it was written because the row could not be): read it there.
    for (const id of ids) this.spilled.add(id);
    let moved = 0;
    for (const id of ids) {
      // Through the job's chain, so a lifecycle write of the same job is neither overtaken nor overwritten.
      await this.enqueue(id, async () => {
        if (!this.spilled.has(id)) return; // written to the database meanwhile
        const record = await this.spill.get(id);
        const row = record && this.blind.has(id) ? await this.history.get(id) : undefined;
        if (record) await this.history.put(row ? overlay(row, record) : record);
        this.spilled.delete(id);
        this.blind.delete(id);
        await this.spill.delete(id);
        moved++;
      }).catch((err: unknown) =>
        this.log.debug('a spilled job record stays in its ConfigMap for now', {
          job: id,
          err: (err as Error).message,
        }),
      );
    }
    if (moved) this.log.info('job records moved from the write-ahead into the history database', { records: moved });
    if (this.spilled.size) this.scheduleDrain();
  }

  /** Runs `fn` after every earlier call for the same job has settled. */
  private enqueue<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.chains.get(id) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(fn);
    this.chains.set(id, next);
    void next
      .finally(() => {
        if (this.chains.get(id) === next) this.chains.delete(id);
      })
      .catch(() => undefined);
    return next;
  }

  private scheduleDrain(): void {
    if (this.drainTimer) return;
    this.drainTimer = setTimeout(() => {
      this.drainTimer = undefined;
      void this.drain();
    }, DRAIN_INTERVAL_MS);
    this.drainTimer.unref();
  }
}
