/**
 * Leader election on a Lease, with the semantics of client-go's `tools/leaderelection` (our own code, same rules):
 *
 *   - A candidate tries every `retryPeriod` (plus up to 20 % jitter). It may take the lease when nobody holds it
 *     (missing, or released: empty holder), when it already names this identity (a restarted container of the same
 *     pod carries on at once), or when the record has not changed for `leaseDurationSeconds` of the *candidate's own
 *     clock*: expiry is measured from when this process last saw the record change (its resourceVersion), never from
 *     the timestamps in it, so clock skew between machines does not matter (only clock *rate* does).
 *   - Taking it over from someone else counts a transition (`leaseTransitions` + 1, a new `acquireTime`); renewing
 *     keeps both. Every write names the resourceVersion read (lease-lock.ts), so two candidates never both win.
 *   - The leader renews every `retryPeriod`. It stops leading as soon as it sees another holder, or when no renewal
 *     has succeeded for `renewDeadline` — measured from when the last successful renewal was *sent*, so it stops
 *     before any follower (which counts `leaseDuration` > `renewDeadline` from when it *saw* that write) can take
 *     over. Stricter than client-go, which may act up to retryPeriod + renewDeadline after its last renewal.
 *   - Losing the lease ends the term (its AbortSignal) and the elector goes back to following; stopping (the run
 *     signal) ends the term, waits for its work to finish, then releases the lease (empty holder, 1 s duration) so a
 *     follower takes over at its next retry instead of after a full lease duration.
 *
 *   const elector = new LeaderElector({ lock, identity: 'controller-7d9f-x2', timing, log,
 *     onStartedLeading: (term) => controller.run(term), onStoppedLeading: () => …, onNewLeader: (id) => … });
 *   await elector.run(signal);
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidInput } from '@eci-virtual/contract';
import type { Logger } from '../../observability/logger.js';
import { leaseTime, type LeaseLock, type LeaseRecord, type StoredLease } from './lease-lock.js';

export interface ElectionTiming {
  /** How long followers wait, from the last change they saw, before taking the lease over. */
  leaseDurationMs: number;
  /** How long the leader keeps leading without a successful renewal. */
  renewDeadlineMs: number;
  /** Between tries (acquire and renew). */
  retryPeriodMs: number;
}

export const DEFAULT_TIMING: ElectionTiming = { leaseDurationMs: 10_000, renewDeadlineMs: 7_000, retryPeriodMs: 2_000 };

/** Jitter on the followers' retry period (client-go: up to +120 %; we keep takeover sooner and tighter). */
const JITTER = 0.2;

/** Checks the ordering client-go requires: leaseDuration > renewDeadline > retryPeriod × (1 + jitter). */
export function validateTiming(t: ElectionTiming): ElectionTiming {
  if (!(t.leaseDurationMs > t.renewDeadlineMs))
    throw new InvalidInput('leaderElection: leaseDurationSeconds must be greater than renewDeadlineSeconds');
  if (!(t.renewDeadlineMs > t.retryPeriodMs * (1 + JITTER)))
    throw new InvalidInput('leaderElection: renewDeadlineSeconds must be greater than retryPeriodSeconds × 1.2');
  if (t.leaseDurationMs % 1000 !== 0)
    throw new InvalidInput('leaderElection: leaseDurationSeconds must be whole seconds (the Lease stores seconds)');
  return t;
}

export interface Clock {
  now(): number;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => sleep(ms, undefined, { signal }).catch(() => undefined),
};

export interface LeaderElectorOptions {
  lock: LeaseLock;
  identity: string;
  timing: ElectionTiming;
  log: Logger;
  /** A term starts: do the leader's work until `term` aborts; the promise settles when that work has stopped. */
  onStartedLeading: (term: AbortSignal) => Promise<void>;
  /** The term ended (lease lost or stopping), after its work has stopped. */
  onStoppedLeading?: () => void;
  /** The holder this replica sees changed (including the first one it sees, and itself). */
  onNewLeader?: (identity: string) => void;
  clock?: Clock;
  random?: () => number;
}

interface Observed {
  lease: StoredLease;
  /** Local time when this version was first seen (or, for our own write, when it was sent). */
  at: number;
}

/** A promise that rejects after `ms`; the call behind it is abandoned (a hung request must not hold the loop). */
function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`lease call timed out after ${ms} ms`)), Math.max(1, ms));
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export class LeaderElector {
  private observed: Observed | undefined;
  private reported: string | undefined;
  private leading = false;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly log: Logger;

  constructor(private readonly opts: LeaderElectorOptions) {
    validateTiming(opts.timing);
    if (!opts.identity) throw new InvalidInput('leaderElection: the identity is empty');
    this.clock = opts.clock ?? systemClock;
    this.random = opts.random ?? Math.random;
    this.log = opts.log.child({ lease: opts.lock.describe(), identity: opts.identity });
  }

  /** Whether this replica leads now. */
  get isLeader(): boolean {
    return this.leading;
  }

  /** The holder last seen ('' when released or unknown). */
  get leader(): string {
    return this.observed?.lease.record.holderIdentity ?? '';
  }

  /** Follows, leads when it can, follows again when the lease is lost; returns once `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      if (!(await this.acquire(signal))) break;
      await this.lead(signal);
    }
  }

  private async acquire(signal: AbortSignal): Promise<boolean> {
    const { retryPeriodMs, renewDeadlineMs } = this.opts.timing;
    this.log.debug('trying to acquire the leader lease');
    while (!signal.aborted) {
      if (await this.tryAcquireOrRenew(renewDeadlineMs)) return true;
      await this.clock.sleep(retryPeriodMs * (1 + this.random() * JITTER), signal);
    }
    return false;
  }

  private async lead(signal: AbortSignal): Promise<void> {
    const { timing, onStartedLeading, onStoppedLeading } = this.opts;
    const record = this.observed!.lease.record;
    this.leading = true;
    this.log.info('leader lease acquired: leading', {
      leaseTransitions: record.leaseTransitions,
      acquireTime: record.acquireTime,
    });
    const term = new AbortController();
    const work = onStartedLeading(term.signal).catch((err: unknown) =>
      this.log.error('leader work failed', { err: (err as Error).message }),
    );
    let renewedAt = this.observed!.at;
    let reason = 'stopping';
    while (!signal.aborted) {
      // Wake at the deadline at the latest, so leading stops exactly when it must.
      const untilDeadline = renewedAt + timing.renewDeadlineMs - this.clock.now();
      await this.clock.sleep(Math.max(0, Math.min(timing.retryPeriodMs, untilDeadline)), signal);
      if (signal.aborted) break;
      const sent = this.clock.now();
      const left = renewedAt + timing.renewDeadlineMs - sent;
      if (left <= 0) {
        reason = `no renewal succeeded for ${timing.renewDeadlineMs} ms`;
        break;
      }
      if (await this.tryAcquireOrRenew(left)) {
        renewedAt = sent;
        continue;
      }
      const holder = this.observed?.lease.record.holderIdentity;
      if (holder && holder !== this.opts.identity) {
        reason = `the lease is held by ${holder}`;
        break;
      }
    }
    // Stop the leader's work first: nothing guarded by the lease may outlive the term.
    term.abort();
    this.leading = false;
    if (signal.aborted) {
      await work;
      await this.release();
    }
    this.log[signal.aborted ? 'info' : 'warn']('leader lease lost: following', { reason });
    onStoppedLeading?.();
    if (!signal.aborted) await work;
  }

  /** Empties the holder and shortens the lease to 1 s, so a follower takes over at its next try. */
  private async release(): Promise<void> {
    const o = this.observed;
    if (!o || o.lease.record.holderIdentity !== this.opts.identity) return;
    const now = leaseTime(this.clock.now());
    const record: LeaseRecord = {
      holderIdentity: '',
      leaseDurationSeconds: 1,
      acquireTime: now,
      renewTime: now,
      leaseTransitions: o.lease.record.leaseTransitions,
    };
    try {
      const written = await within(this.opts.lock.update(record, o.lease.version), this.opts.timing.retryPeriodMs);
      if (written) this.see(written, this.clock.now());
      this.log.info('leader lease released');
    } catch (err) {
      this.log.warn('could not release the leader lease; followers wait for it to expire', {
        err: (err as Error).message,
      });
    }
  }

  /** One try; true when this replica holds the lease afterwards. Never throws. */
  private async tryAcquireOrRenew(timeoutMs: number): Promise<boolean> {
    const { lock, identity, timing } = this.opts;
    const sent = this.clock.now();
    const desired: LeaseRecord = {
      holderIdentity: identity,
      leaseDurationSeconds: Math.round(timing.leaseDurationMs / 1000),
      acquireTime: leaseTime(sent),
      renewTime: leaseTime(sent),
      leaseTransitions: 0,
    };
    try {
      // Fast path: the leader writes over the version it last wrote, without reading first.
      const mine = this.observed;
      if (this.leading && mine && mine.lease.record.holderIdentity === identity) {
        const renewed = await within(
          lock.update(
            {
              ...desired,
              acquireTime: mine.lease.record.acquireTime,
              leaseTransitions: mine.lease.record.leaseTransitions,
            },
            mine.lease.version,
          ),
          timeoutMs,
        );
        if (renewed) {
          this.see(renewed, sent);
          return true;
        }
      }
      const current = await within(lock.get(), timeoutMs);
      if (!current) {
        const created = await within(lock.create(desired), timeoutMs);
        if (created) this.see(created, sent);
        return !!created;
      }
      if (current.version !== this.observed?.lease.version) this.see(current, this.clock.now());
      const held = current.record.holderIdentity;
      const mineNow = held === identity;
      const valid = this.observed!.at + current.record.leaseDurationSeconds * 1000 > this.clock.now();
      if (held && valid && !mineNow) return false;
      const next: LeaseRecord = mineNow
        ? { ...desired, acquireTime: current.record.acquireTime, leaseTransitions: current.record.leaseTransitions }
        : { ...desired, leaseTransitions: current.record.leaseTransitions + 1 };
      const written = await within(lock.update(next, current.version), timeoutMs);
      if (written) this.see(written, sent);
      return !!written;
    } catch (err) {
      this.log.debug('leader lease call failed', { err: (err as Error).message });
      return false;
    }
  }

  private see(lease: StoredLease, at: number): void {
    this.observed = { lease, at };
    const holder = lease.record.holderIdentity;
    if (holder && holder !== this.reported) {
      this.reported = holder;
      this.log.info('leader observed', { leader: holder, leaseTransitions: lease.record.leaseTransitions });
      this.opts.onNewLeader?.(holder);
    }
  }
}
