/**
 * The emulator's per-action rate limits (the published ECI quotas by default) and fault injection: "the next N
 * calls of action X fail with code Y / HTTP status Z".
 */
import { TokenBucket } from '../../src/virtual-node/backends/eci/rate-limiter.js';
import { ApiError, throttled } from './api-error.js';

export interface BucketConfig {
  burst: number;
  perSecond: number;
}

export interface RateLimitConfig {
  /** CreateContainerGroup + DeleteContainerGroup; default burst 100, then 20/s. */
  lifecycle?: BucketConfig | null;
  /** ExecContainerCommand + DescribeContainerLog; default 500/min. */
  streams?: BucketConfig | null;
  /** Everything else; default unlimited. */
  other?: BucketConfig | null;
}

const GROUP: Record<string, keyof RateLimitConfig> = {
  CreateContainerGroup: 'lifecycle',
  DeleteContainerGroup: 'lifecycle',
  ExecContainerCommand: 'streams',
  DescribeContainerLog: 'streams',
};

export interface Fault {
  action: string;
  /** How many of the next calls fail (default 1). */
  times?: number;
  code: string;
  status?: number;
  message?: string;
}

export class Limits {
  private readonly buckets = new Map<keyof RateLimitConfig, TokenBucket>();
  private readonly faults: (Fault & { left: number })[] = [];

  constructor(config: RateLimitConfig = {}) {
    const merged: RateLimitConfig = {
      lifecycle: { burst: 100, perSecond: 20 },
      streams: { burst: 500, perSecond: 500 / 60 },
      other: null,
      ...config,
    };
    for (const [k, v] of Object.entries(merged) as [keyof RateLimitConfig, BucketConfig | null][])
      if (v) this.buckets.set(k, new TokenBucket(v.burst, v.perSecond));
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
