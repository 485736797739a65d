/**
 * The autopilot's decisions with their reasons, as structured records (for the portal's panel). A decision that
 * changes nothing (keep, wait, skip) and repeats the previous pass's decision for the same set is not logged again:
 * its entry's `lastAt`/`repeats` move instead, so the log shows what changed and since when. Bounded (oldest go).
 */
import type { Decision } from './planner.js';

export interface LoggedDecision extends Decision {
  /** When the pass that made it ran (ms since epoch). */
  at: number;
  pass: number;
  /** What carrying it out did: done, failed (with the error), or nothing to do (keep, wait, skip). */
  outcome: 'done' | 'failed' | 'noop';
  error?: string;
  /** The set created (create, refresh). */
  createdId?: string;
  /** A repeated no-op decision: the last pass that made it again, and how many times it was made again. */
  lastAt?: number;
  repeats?: number;
}

const keyOf = (d: LoggedDecision) =>
  [d.action, d.repo ?? '', d.setId ?? d.name, d.images.join(','), d.reason].join('\u0000');

export class DecisionLog {
  private readonly entries: LoggedDecision[] = [];
  private readonly lastNoop = new Map<string, LoggedDecision>();

  /** `onChange`: told of each entry added, and of an entry again when a repeat folded into it (the same object). */
  constructor(
    private readonly max = 1000,
    private readonly onChange?: (d: LoggedDecision) => void,
  ) {}

  add(d: LoggedDecision): void {
    if (d.outcome === 'noop') {
      const key = keyOf(d);
      const previous = this.lastNoop.get(key);
      if (previous && previous.pass + (previous.repeats ?? 0) === d.pass - 1) {
        previous.lastAt = d.at;
        previous.repeats = (previous.repeats ?? 0) + 1;
        // Weight and uses move with time and are not what makes a decision the same: the latest pass's are shown.
        if (d.weight !== undefined) previous.weight = d.weight;
        if (d.uses !== undefined) previous.uses = d.uses;
        this.onChange?.(previous);
        return;
      }
      this.lastNoop.set(key, d);
    }
    this.onChange?.(d);
    this.entries.push(d);
    if (this.entries.length > this.max) {
      for (const gone of this.entries.splice(0, this.entries.length - this.max))
        if (this.lastNoop.get(keyOf(gone)) === gone) this.lastNoop.delete(keyOf(gone));
    }
  }

  /** Oldest first; `actions` and `repo` narrow it. */
  list(opts: { actions?: readonly Decision['action'][]; repo?: string } = {}): LoggedDecision[] {
    return this.entries.filter(
      (d) => (!opts.actions || opts.actions.includes(d.action)) && (!opts.repo || d.repo === opts.repo),
    );
  }
}
