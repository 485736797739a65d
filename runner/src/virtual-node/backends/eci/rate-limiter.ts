/**
 * Token buckets for ECI's published API quotas: container-group create/delete burst 100 then 20/s; exec and log
 * calls 500/min per account. Callers wait (cancellably) instead of provoking Throttling errors.
 */
import { Cancelled } from '../../../errors.js';

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly capacity: number,
    /** Tokens added per second. */
    readonly refillPerSecond: number,
    private readonly now: () => number = () => Date.now(),
  ) {
    this.tokens = capacity;
    this.last = this.now();
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((t - this.last) / 1000) * this.refillPerSecond);
    this.last = t;
  }

  /** Takes a token if one is there; otherwise says how long until one is (ms). */
  tryTake(): number {
    this.refill();
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.tokens) / this.refillPerSecond) * 1000);
  }

  async take(signal?: AbortSignal, sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))): Promise<void> {
    for (;;) {
      if (signal?.aborted) throw new Cancelled('cancelled while waiting for the ECI rate limit');
      const wait = this.tryTake();
      if (wait === 0) return;
      await sleep(wait);
    }
  }
}

/** The buckets one ECI account shares (one set per node process). */
export function eciRateLimits(now?: () => number) {
  return {
    /** CreateContainerGroup / DeleteContainerGroup */
    lifecycle: new TokenBucket(100, 20, now),
    /** ExecContainerCommand / DescribeContainerLog: 500 per minute */
    streams: new TokenBucket(500, 500 / 60, now),
    /** Describe* polling: generous, but bounded */
    describe: new TokenBucket(50, 10, now),
  };
}

export type EciRateLimits = ReturnType<typeof eciRateLimits>;
