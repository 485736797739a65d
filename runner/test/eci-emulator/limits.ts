/**
 * The emulator's per-action rate limits (the published ECI quotas by default) and fault injection: "the next N
 * calls of action X fail with code Y / HTTP status Z". Create/delete are a token bucket (burst 100, then 20/s);
 * exec and log calls share a sliding window (at most 500 in any 60 s, as a per-minute quota is counted), so a
 * client that bursts 500 and then keeps going at 500/min is throttled here as it would be by ECI.
 */
import { SlidingWindow, TokenBucket, type CallLimiter } from '../../src/virtual-node/backends/eci/rate-limiter.js';
import { ApiError, throttled } from './api-error.js';

/** A token bucket: `burst` at once, then `perSecond`. */
export interface BucketConfig {
  burst: number;
  perSecond: number;
}

/** A sliding window: at most `limit` calls in any `windowMs`. */
export interface WindowConfig {
  limit: number;
  windowMs: number;
}

export type LimitConfig = BucketConfig | WindowConfig;

export interface RateLimitConfig {
  /** CreateContainerGroup + DeleteContainerGroup; default burst 100, then 20/s. */
  lifecycle?: LimitConfig | null;
  /** ExecContainerCommand + DescribeContainerLog together; default at most 500 in any 60 s. */
  streams?: LimitConfig | null;
  /** Everything else; default unlimited. */
  other?: LimitConfig | null;
}

export const DEFAULT_RATE_LIMITS: Required<RateLimitConfig> = {
  lifecycle: { burst: 100, perSecond: 20 },
  streams: { limit: 500, windowMs: 60_000 },
  other: null,
};

const GROUP: Record<string, keyof RateLimitConfig> = {
  CreateContainerGroup: 'lifecycle',
  DeleteContainerGroup: 'lifecycle',
  ExecContainerCommand: 'streams',
  DescribeContainerLog: 'streams',
};

function limiter(c: LimitConfig, now?: () => number): CallLimiter {
  return 'limit' in c ? new SlidingWindow(c.limit, c.windowMs, now) : new TokenBucket(c.burst, c.perSecond, now);
}

export interface Fault {
  action: string;
  /** How many of the next calls fail (default 1). */
  times?: number;
  code: string;
  status?: number;
  message?: string;
}

export class Limits {
  private readonly buckets = new Map<keyof RateLimitConfig, CallLimiter>();
  private readonly faults: (Fault & { left: number })[] = [];

  /** `now`: the clock the limits run on (tests pass a fake one). */
  constructor(config: RateLimitConfig = {}, now?: () => number) {
    const merged: RateLimitConfig = { ...DEFAULT_RATE_LIMITS, ...config };
    for (const [k, v] of Object.entries(merged) as [keyof RateLimitConfig, LimitConfig | null][])
      if (v) this.buckets.set(k, limiter(v, now));
  }

  inject(fault: Fault): void {
    this.faults.push({ ...fault, left: fault.times ?? 1 });
  }

  /** Throws the injected fault or Throttling for this call, if any. */
  check(action: string): void {
    const fault = this.faults.find((f) => f.action === action && f.left > 0);
    if (fault) {
      fault.left--;
      throw new ApiError(fault.status ?? 400, fault.code, fault.message ?? `injected fault ${fault.code}`);
    }
    const bucket = this.buckets.get(GROUP[action] ?? 'other');
    if (bucket && bucket.tryTake() > 0) throw throttled();
  }
}
