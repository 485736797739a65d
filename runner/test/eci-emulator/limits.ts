/**
 * The emulator's per-action rate limits and fault injection ("the next N calls of action X fail with code Y / HTTP
 * status Z", or "every call of action X fails so for the next T ms"). The limits are the published ones, implemented here on their own (not with the product's limiter, which
 * they exist to test). Source for every number below: Elastic Container Instance › Limits, section "API rate limits"
 * (https://www.alibabacloud.com/help/en/eci/product-overview/limits):
 *  - CreateContainerGroup and DeleteContainerGroup "use a token bucket algorithm: bucket capacity (burst) = 100,
 *    refill rate (rate) = 20/s" — one bucket per operation;
 *  - "the other API operations are limited to a maximum number of calls per minute": DescribeContainerGroups 2000,
 *    DescribeContainerGroupMetric 2000, DescribeContainerGroupPrice 1000, ExportContainerGroupTemplate 1000,
 *    ExecContainerCommand 500, DescribeContainerLog 500, RestartContainerGroup 500, UpdateContainerGroup 500,
 *    DescribeMultiContainerGroupMetric 500, CreateImageCache 200. A per-minute quota is enforced as a sliding window
 *    (at most N accepted calls in any 60 s), the strictest reading: a client that bursts N and keeps going at N/min
 *    is throttled here, as a fixed or rolling minute on the service could do.
 * The API reference's "Flow control information" page (https://help.aliyun.com/en/eci/developer-reference/
 * api-eci-2018-08-08-quota, "N/60(s)" per operation) adds the read operations the Limits page leaves out:
 * DescribeContainerGroupStatus 10000, DescribeContainerGroupEvents 10000, DescribeRegions 10000, and
 * ListTagResources, TagResources, UntagResources 1000 a minute, held the same way. (Where the two pages differ on an
 * operation both list — RestartContainerGroup, UpdateContainerGroup, DescribeMultiContainerGroupMetric — the
 * Limits page's smaller figure stays.) The same page lists CreateContainerGroup and DeleteContainerGroup at
 * 1000/60(s) where the Limits page gives the token bucket; both are held (the strictest reading): the bucket lets a
 * steady 20/s through, the minute 1000, so a sustained 20/s is throttled after 50 s.
 * Operations neither page lists (DescribeImageCaches, DeleteImageCache) are not limited.
 */
import { ApiError, throttled } from './api-error.js';

/** A token bucket: `burst` at once, then `perSecond`; with `perMinute`, also at most that many in any 60 s. */
export interface BucketConfig {
  burst: number;
  perSecond: number;
  perMinute?: number;
}

/** A sliding window: at most `limit` calls in any `windowMs`. */
export interface WindowConfig {
  limit: number;
  windowMs: number;
}

export type LimitConfig = BucketConfig | WindowConfig;

/** Action → its limit (null: unlimited). Overrides the published defaults action by action. */
export type RateLimitConfig = Record<string, LimitConfig | null>;

const perMinute = (limit: number): WindowConfig => ({ limit, windowMs: 60_000 });

export const PUBLISHED_RATE_LIMITS: Readonly<Record<string, LimitConfig>> = {
  CreateContainerGroup: { burst: 100, perSecond: 20, perMinute: 1000 },
  DeleteContainerGroup: { burst: 100, perSecond: 20, perMinute: 1000 },
  DescribeContainerGroups: perMinute(2000),
  DescribeContainerGroupMetric: perMinute(2000),
  DescribeContainerGroupPrice: perMinute(1000),
  ExportContainerGroupTemplate: perMinute(1000),
  ExecContainerCommand: perMinute(500),
  DescribeContainerLog: perMinute(500),
  RestartContainerGroup: perMinute(500),
  UpdateContainerGroup: perMinute(500),
  DescribeMultiContainerGroupMetric: perMinute(500),
  CreateImageCache: perMinute(200),
  DescribeContainerGroupStatus: perMinute(10_000),
  DescribeContainerGroupEvents: perMinute(10_000),
  DescribeRegions: perMinute(10_000),
  ListTagResources: perMinute(1000),
  TagResources: perMinute(1000),
  UntagResources: perMinute(1000),
};

interface Gate {
  /** Admits the call (and counts it) or returns false. */
  admit(now: number): boolean;
}

class Bucket implements Gate {
  private tokens: number;
  private at: number | undefined;

  constructor(private readonly c: BucketConfig) {
    this.tokens = c.burst;
  }

  admit(now: number): boolean {
    if (this.at !== undefined)
      this.tokens = Math.min(this.c.burst, this.tokens + ((now - this.at) / 1000) * this.c.perSecond);
    this.at = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

class Window implements Gate {
  /** Times of the admitted calls still inside the window, oldest first. */
  private readonly admitted: number[] = [];
  private head = 0;

  constructor(private readonly c: WindowConfig) {}

  /** Whether the window holds its limit of calls now (counts nothing). */
  full(now: number): boolean {
    while (this.head < this.admitted.length && this.admitted[this.head]! <= now - this.c.windowMs) this.head++;
    if (this.head > 1024) {
      this.admitted.splice(0, this.head);
      this.head = 0;
    }
    return this.admitted.length - this.head >= this.c.limit;
  }

  admit(now: number): boolean {
    if (this.full(now)) return false;
    this.admitted.push(now);
    return true;
  }
}

/** A bucket and a per-minute window on one operation: a call passes both or neither counts it. */
class BucketAndWindow implements Gate {
  constructor(
    private readonly bucket: Bucket,
    private readonly window: Window,
  ) {}

  admit(now: number): boolean {
    if (this.window.full(now) || !this.bucket.admit(now)) return false;
    return this.window.admit(now);
  }
}

function gateFor(c: LimitConfig): Gate {
  if ('limit' in c) return new Window(c);
  if (c.perMinute === undefined) return new Bucket(c);
  return new BucketAndWindow(new Bucket(c), new Window({ limit: c.perMinute, windowMs: 60_000 }));
}

export interface Fault {
  action: string;
  /** How many of the next calls fail (default 1; ignored with `forMs`). */
  times?: number;
  /**
   * A window instead of a count: every call of `action` fails from now until `forMs` later on the limits' clock,
   * however many calls come in it.
   */
  forMs?: number;
  code: string;
  status?: number;
  message?: string;
}

/** An injected fault as held: calls it still fails, or the end of its window. */
type HeldFault = Fault & { left: number; until?: number };

export class Limits {
  private readonly gates = new Map<string, Gate>();
  private faults: HeldFault[] = [];
  private readonly now: () => number;

  /** `now`: the clock the limits run on (tests pass a fake one). */
  constructor(config: RateLimitConfig = {}, now: () => number = Date.now) {
    this.now = now;
    const merged: RateLimitConfig = { ...PUBLISHED_RATE_LIMITS, ...config };
    for (const [action, c] of Object.entries(merged)) if (c) this.gates.set(action, gateFor(c));
  }

  inject(fault: Fault): void {
    this.faults.push(
      fault.forMs !== undefined
        ? { ...fault, left: Infinity, until: this.now() + fault.forMs }
        : { ...fault, left: fault.times ?? 1 },
    );
  }

  /** Drops every injected fault not yet spent (a window ends now). */
  clearFaults(): void {
    this.faults = [];
  }

  /** Throws the injected fault or Throttling for this call, if any. */
  check(action: string): void {
    const now = this.now();
    this.faults = this.faults.filter((f) => f.left > 0 && (f.until === undefined || now < f.until));
    const fault = this.faults.find((f) => f.action === action);
    if (fault) {
      fault.left--;
      throw new ApiError(fault.status ?? 400, fault.code, fault.message ?? `injected fault ${fault.code}`);
    }
    const gate = this.gates.get(action);
    if (gate && !gate.admit(this.now())) throw throttled();
  }
}

/**
 * The least time (seconds) in which `calls` calls of `action` can all be accepted under its published limit,
 * counted from the first call: a bucket serves `burst` at once and the rest at `perSecond`; a per-minute window
 * serves `limit` per `windowMs`. 0 for an unlimited action.
 */
export function quotaFloorSeconds(action: string, calls: number, limits = PUBLISHED_RATE_LIMITS): number {
  const c = limits[action];
  if (!c || calls <= 0) return 0;
  if ('limit' in c) return (Math.ceil(calls / c.limit) - 1) * (c.windowMs / 1000);
  const bucket = Math.max(0, calls - c.burst) / c.perSecond;
  return c.perMinute === undefined ? bucket : Math.max(bucket, (Math.ceil(calls / c.perMinute) - 1) * 60);
}
