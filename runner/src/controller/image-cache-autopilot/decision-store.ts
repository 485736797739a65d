/**
 * The autopilot's decisions in the job history database (migration 5), so the portal of every replica — not only the
 * leader's, whose decision log is in its memory — shows what the autopilot decided, also after a leader change. Each
 * logged decision gets an id of this process; a repeat folded into it rewrites its row. Writes are queued in order and
 * never hold up a pass; a failed write is logged at debug level (the in-memory log still has it).
 */
import type { JobHistoryStore } from '../history/job-history-store.js';
import type { Logger } from '../../observability/logger.js';
import type { LoggedDecision } from './decision-log.js';

export class DecisionStore {
  private readonly ids = new WeakMap<LoggedDecision, string>();
  private readonly prefix: string;
  private seq = 0;
  private pending: LoggedDecision[] = [];
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly opts: {
      history: Pick<JobHistoryStore, 'putDecisions' | 'decisions'>;
      /** This replica (its leader-election identity), so ids of two replicas never collide. */
      identity: string;
      log: Logger;
      now?: () => number;
    },
  ) {
    this.prefix = `${opts.identity}-${(opts.now ?? Date.now)().toString(36)}`;
  }

  /** Queues the decision's (re)write; returns at once. */
  readonly record = (d: LoggedDecision): void => {
    if (!this.ids.has(d)) this.ids.set(d, `${this.prefix}-${++this.seq}`);
    if (!this.pending.includes(d)) this.pending.push(d);
    this.writing = this.writing.then(() => this.write());
  };

  /** Resolves once every queued decision was written (or failed to be). */
  flush(): Promise<void> {
    return this.writing;
  }

  /** `repo`'s decisions, newest first. */
  async list(repo: string, limit = 200): Promise<LoggedDecision[]> {
    const rows = await this.opts.history.decisions(repo, limit);
    const out: LoggedDecision[] = [];
    for (const r of rows) {
      try {
        out.push(JSON.parse(r.decision) as LoggedDecision);
      } catch {
        // A row this controller cannot read is left out.
      }
    }
    return out;
  }

  private async write(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    if (!batch.length) return;
    try {
      await this.opts.history.putDecisions(
        batch.map((d) => ({ id: this.ids.get(d)!, repo: d.repo ?? '', at: d.at, decision: JSON.stringify(d) })),
      );
    } catch (err) {
      this.opts.log.debug('image cache autopilot: could not keep decisions in the job history', {
        decisions: batch.length,
        err: (err as Error).message,
      });
    }
  }
}
