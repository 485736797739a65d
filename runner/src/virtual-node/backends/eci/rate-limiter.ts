/**
 * Client-side limits for ECI's published API quotas, so callers wait (cancellably) instead of provoking Throttling:
 *
 * - CreateContainerGroup / DeleteContainerGroup: burst 100, then 20/s — a token bucket, whose burst the client
 *   keeps 20 (one second of refill) below 100: see {@link LATENCY_GUARD_MS}; and each at most 1000 a minute (a
 *   sliding window), which a steady 20/s reaches after 50 s.
 * - ExecContainerCommand + DescribeContainerLog: 500 calls per minute per account — a sliding window (at most 500
 *   call starts in any 60 s). A token bucket of 500 refilling 500/min would let ~1000 through in the first minute
 *   (the full bucket plus a minute of refill), which a server counting per minute throttles.
 *
 * Of those 500 per minute, log polling (`kubectl logs -f` is emulated by polling) may use at most
 * {@link LOG_SHARE_PER_MINUTE}: every log call counts against both the shared window and the log share, an exec call
 * only against the shared window. So however many log followers run, exec — the job's steps — always has at least
 * the remaining 100 calls a minute, and can use the whole 500 when nobody follows logs.
 *
 * Every other operation with a published quota has its own per-minute window ({@link CALLS_PER_MINUTE}), so one
 * operation's calls (a node's usage reads) never hold up another's (its status polling). Operations no page gives a
 * quota for share one bucket of our own ({@link UNPUBLISHED_BURST}, {@link UNPUBLISHED_PER_SECOND}).
 */
import { Cancelled } from '@eci-virtual/contract';

/** Monotonic milliseconds (a wall-clock step must not stall or unleash the limits). */
const monotonic = () => performance.now();
const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Something a call waits on before it starts. */
export abstract class CallLimiter {
  /** Takes a slot if one is free now (→ 0); otherwise takes nothing and says how long until one may be (ms). */
  abstract tryTake(): number;

  async take(signal?: AbortSignal, sleep: (ms: number) => Promise<void> = defaultSleep): Promise<void> {
    for (;;) {
      if (signal?.aborted) throw new Cancelled('cancelled while waiting for the ECI rate limit');
      const wait = this.tryTake();
      if (wait === 0) return;
      await sleep(wait);
    }
  }
}

export class TokenBucket extends CallLimiter {
  private tokens: number;
  private last: number;

  constructor(
    readonly capacity: number,
    /** Tokens added per second. */
    readonly refillPerSecond: number,
    private readonly now: () => number = monotonic,
  ) {
    super();
    this.tokens = capacity;
    this.last = this.now();
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((t - this.last) / 1000) * this.refillPerSecond);
    this.last = t;
  }

  /** How long until a token is there (0: now), taking nothing. */
  waitMs(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) / this.refillPerSecond) * 1000);
  }

  /** Takes a token (after `waitMs()` said 0). */
  record(): void {
    this.tokens -= 1;
  }

  tryTake(): number {
    const wait = this.waitMs();
    if (wait === 0) this.record();
    return wait;
  }
}

/** At most `limit` starts in any `windowMs`: a start at t is allowed when fewer than `limit` fell in (t − windowMs, t]. */
export class SlidingWindow extends CallLimiter {
  /** Start times in the current window, oldest first. */
  private readonly starts: number[] = [];

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly now: () => number = monotonic,
  ) {
    super();
  }

  /** How long until a start is allowed (0: now), taking nothing. */
  waitMs(): number {
    const t = this.now();
    while (this.starts.length > 0 && this.starts[0]! <= t - this.windowMs) this.starts.shift();
    return this.starts.length < this.limit ? 0 : Math.max(1, Math.ceil(this.starts[0]! + this.windowMs - t));
  }

  /** Counts a start now (after `waitMs()` said 0). */
  record(): void {
    this.starts.push(this.now());
  }

  tryTake(): number {
    const wait = this.waitMs();
    if (wait === 0) this.record();
    return wait;
  }
}

/** Several limits on one call: it starts when every one allows it, and is counted in all of them or in none. */
export class AllLimits extends CallLimiter {
  constructor(readonly limits: (SlidingWindow | TokenBucket)[]) {
    super();
  }

  tryTake(): number {
    const wait = Math.max(...this.limits.map((w) => w.waitMs()));
    if (wait === 0) for (const w of this.limits) w.record();
    return wait;
  }
}

/** The published exec + log quota: calls per minute per account. */
export const EXEC_LOG_CALLS_PER_MINUTE = 500;
/** How many of those log polling may use; exec always keeps the rest (100 a minute). */
export const LOG_SHARE_PER_MINUTE = 400;
/** The published create/delete limits: a burst of 100, then 20 per second (Limits page)... */
export const LIFECYCLE_BURST = 100;
export const LIFECYCLE_PER_SECOND = 20;
/** ... and at most 1000 of each a minute (Flow control information, "1000/60(s)"; cited at CALLS_PER_MINUTE). */
export const LIFECYCLE_PER_MINUTE = 1000;
/**
 * The client counts a call when it sends it, the server when it gets to it; the gap varies (connection set-up for a
 * burst, the server's own queue), and calls sent apart can be counted close together. Up to this much spread the
 * server still sees the published limits: the client's 60 s window is this much longer, and its create/delete burst
 * smaller by what 20/s refills in this time (so a burst sent in ~0 s but counted over 1 s plus the calls sent in
 * that second stay within 100 + 20/s). Measured in eci-client.test.ts: 130 concurrent creates through one
 * event loop with the emulator's burst-100 bucket saw 5-11 throttled without the guard (3 runs), none with it.
 */
export const LATENCY_GUARD_MS = 1_000;

/**
 * The published per-minute quotas of the other operations, each counted on its own, per account. Two pages publish
 * them: "Limits" › "API rate limits" (https://www.alibabacloud.com/help/en/eci/product-overview/limits: "The other API
 * operations are limited to a maximum number of calls per minute") and the API reference's "Flow control
 * information" (https://help.aliyun.com/en/eci/developer-reference/api-eci-2018-08-08-quota, "N/60(s)"). Where they
 * differ the smaller is kept; the operations only the second lists carry its figure.
 */
export const CALLS_PER_MINUTE: Readonly<Record<string, number>> = {
  DescribeContainerGroups: 2000,
  DescribeContainerGroupMetric: 2000,
  DescribeContainerGroupPrice: 1000,
  ExportContainerGroupTemplate: 1000,
  RestartContainerGroup: 500, // Flow control information: 1000
  UpdateContainerGroup: 500, // Flow control information: 1000
  DescribeMultiContainerGroupMetric: 500, // Flow control information: 2000
  CreateImageCache: 200,
  // Flow control information only.
  DescribeContainerGroupStatus: 10_000,
  DescribeContainerGroupEvents: 10_000,
  DescribeRegions: 10_000,
  ListTagResources: 1000,
  TagResources: 1000,
  UntagResources: 1000,
};
/** Operations no page gives a quota for (DescribeImageCaches, DeleteImageCache, …): our own bound, shared. */
export const UNPUBLISHED_BURST = 50;
export const UNPUBLISHED_PER_SECOND = 10;

/** The limits one ECI account shares (one set per node process). */
export function eciRateLimits(now: () => number = monotonic) {
  const windowMs = 60_000 + LATENCY_GUARD_MS;
  const execAndLogs = new SlidingWindow(EXEC_LOG_CALLS_PER_MINUTE, windowMs, now);
  const logShare = new SlidingWindow(LOG_SHARE_PER_MINUTE, windowMs, now);
  const lifecycleBurst = LIFECYCLE_BURST - (LIFECYCLE_PER_SECOND * LATENCY_GUARD_MS) / 1000;
  const lifecycle = new TokenBucket(lifecycleBurst, LIFECYCLE_PER_SECOND, now);
  return {
    /** CreateContainerGroup / DeleteContainerGroup: 100 then 20/s as the server counts (80 then 20/s here). */
    lifecycle,
    /** Each of them: the bucket, and its own 1000 a minute. */
    create: new AllLimits([lifecycle, new SlidingWindow(LIFECYCLE_PER_MINUTE, windowMs, now)]) as CallLimiter,
    delete: new AllLimits([lifecycle, new SlidingWindow(LIFECYCLE_PER_MINUTE, windowMs, now)]) as CallLimiter,
    /** ExecContainerCommand: the shared 500/min. */
    exec: execAndLogs as CallLimiter,
    /** DescribeContainerLog: the shared 500/min, and at most 400 of them. */
    logs: new AllLimits([execAndLogs, logShare]) as CallLimiter,
    /** Each operation of CALLS_PER_MINUTE: its own quota. */
    perMinute: new Map(
      Object.entries(CALLS_PER_MINUTE).map(([action, limit]) => [
        action,
        new SlidingWindow(limit, windowMs, now) as CallLimiter,
      ]),
    ),
    /** Operations without a published quota. */
    unpublished: new TokenBucket(UNPUBLISHED_BURST, UNPUBLISHED_PER_SECOND, now) as CallLimiter,
  };
}

export type EciRateLimits = ReturnType<typeof eciRateLimits>;

/** What a call of `action` waits on. */
export function limiterFor(limits: EciRateLimits, action: string): CallLimiter {
  switch (action) {
    case 'CreateContainerGroup':
      return limits.create;
    case 'DeleteContainerGroup':
      return limits.delete;
    case 'ExecContainerCommand':
      return limits.exec;
    case 'DescribeContainerLog':
      return limits.logs;
    default:
      return limits.perMinute.get(action) ?? limits.unpublished;
  }
}
