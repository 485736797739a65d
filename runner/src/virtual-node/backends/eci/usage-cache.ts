/**
 * Pod usage for /stats/summary and /metrics/resource, kept between scrapes. ECI answers usage one group per call
 * (DescribeContainerGroupMetric) and samples about once a minute, so a scrape must not cost a call per pod: a scrape
 * starts one refresh (unless one is running), the refresh asks only for the pods whose figures are older than
 * `maxAgeMs` — one call per pod, at most `concurrency` in flight — and the scrape answers from the cache as soon as
 * the refresh is done or after `answerWithinMs`, whichever comes first (a node with 1000 pods refreshes at the
 * describe rate limit, far slower than metrics-server waits). A pod whose call failed keeps its last figures, if any,
 * and is asked again after `maxAgeMs`. Pods not in a scrape's list are forgotten.
 */
import type { PodRef, PodUsage } from '../backend.js';

export interface UsageCacheOptions {
  /** One backend call for one pod's usage (undefined: no figures for it). */
  fetch: (ref: PodRef) => Promise<PodUsage | undefined>;
  /** Figures younger than this are not asked for again (default 30 s). */
  maxAgeMs?: number;
  /** Calls in flight at once (default 4). */
  concurrency?: number;
  /** A scrape answers after at most this long with what the cache has (default 8 s). */
  answerWithinMs?: number;
  /** Called when a pod's call fails (the cache keeps its last figures). */
  onError?: (ref: PodRef, err: unknown) => void;
  now?: () => number;
}

interface Entry {
  /** When the pod was last asked for (whatever the answer), ms. */
  at: number;
  usage: PodUsage | undefined;
}

export class UsageCache {
  private readonly entries = new Map<string, Entry>();
  private refreshing: Promise<void> | undefined;
  private readonly maxAgeMs: number;
  private readonly concurrency: number;
  private readonly answerWithinMs: number;
  private readonly now: () => number;

  constructor(private readonly opts: UsageCacheOptions) {
    this.maxAgeMs = opts.maxAgeMs ?? 30_000;
    this.concurrency = Math.max(1, opts.concurrency ?? 4);
    this.answerWithinMs = opts.answerWithinMs ?? 8_000;
    this.now = opts.now ?? Date.now;
  }

  /** Pods with figures in the cache. */
  get size(): number {
    return this.entries.size;
  }

  /** The usage of `refs` the cache has once a refresh is done or `answerWithinMs` has passed. */
  async usage(refs: PodRef[]): Promise<PodUsage[]> {
    const live = new Set(refs.map((r) => r.uid));
    for (const uid of this.entries.keys()) if (!live.has(uid)) this.entries.delete(uid);
    if (!this.refreshing && refs.some((r) => this.stale(r.uid))) {
      const done = this.refresh(refs).finally(() => (this.refreshing = undefined));
      this.refreshing = done;
    }
    if (this.refreshing) await within(this.refreshing, this.answerWithinMs);
    return refs.flatMap((r) => {
      const usage = this.entries.get(r.uid)?.usage;
      return usage ? [usage] : [];
    });
  }

  private stale(uid: string): boolean {
    const e = this.entries.get(uid);
    return e === undefined || this.now() - e.at >= this.maxAgeMs;
  }

  private async refresh(refs: PodRef[]): Promise<void> {
    const queue = refs.filter((r) => this.stale(r.uid));
    let next = 0;
    const worker = async () => {
      while (next < queue.length) {
        const ref = queue[next++]!;
        let usage: PodUsage | undefined;
        try {
          usage = await this.opts.fetch(ref);
        } catch (err) {
          this.opts.onError?.(ref, err);
          usage = this.entries.get(ref.uid)?.usage;
        }
        this.entries.set(ref.uid, { at: this.now(), usage });
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, queue.length) }, worker));
  }
}

/** Waits for `p` or `ms`, whichever is first; never rejects (the refresh records its own failures). */
async function within(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    p.catch(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}
