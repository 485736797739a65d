/**
 * Pre-pulls the images a pod lists in cache-images set (`ANNOTATION.cacheImages`) (the repository's `imageCache.images`) into the
 * engine, in the background: the job's own containers (`services:`, `container:` and step images) then start from
 * local layers. Each image is pulled at most once per interval (a pull also refreshes moving tags such as
 * `node:20`), one image at a time so pre-pulls never crowd out the pulls pods wait for. Never blocks pod creation;
 * failures are logged.
 */
import { describeError } from '@eci-virtual/contract';
import type { Logger } from '../../../observability/logger.js';
import type { RegistryAuth } from '../backend.js';

export type PullImage = (image: string, auths: readonly RegistryAuth[], signal: AbortSignal) => Promise<void>;

export interface ImagePrepullerOptions {
  pull: PullImage;
  log: Logger;
  /** Minimum time between two pulls of the same image (default 10 min). */
  intervalMs?: number;
  now?: () => number;
}

export class ImagePrepuller {
  /** Image → when its last pull was queued. */
  private readonly lastQueued = new Map<string, number>();
  /** Images pulled at least once (what the node reports as its image cache), bounded like `lastQueued`. */
  private readonly pulled = new Set<string>();
  private readonly queue: { image: string; auths: readonly RegistryAuth[] }[] = [];
  private draining: Promise<void> | undefined;
  private readonly abort = new AbortController();
  private readonly log: Logger;
  private readonly now: () => number;

  constructor(private readonly opts: ImagePrepullerOptions) {
    this.log = opts.log.child({ component: 'image-prepull' });
    this.now = opts.now ?? Date.now;
  }

  /** Queues the images not pulled within the interval; returns at once. */
  prepull(images: readonly string[], auths: readonly RegistryAuth[] = []): void {
    if (this.abort.signal.aborted) return;
    const now = this.now();
    const interval = this.opts.intervalMs ?? 600_000;
    for (const image of images) {
      const last = this.lastQueued.get(image);
      if (last !== undefined && now - last < interval) continue;
      this.lastQueued.set(image, now);
      this.queue.push({ image, auths });
    }
    this.forgetOlderThan(now - interval);
    this.draining ??= this.drain().finally(() => {
      this.draining = undefined;
    });
  }

  /** The images pre-pulled so far, in the order they first arrived. */
  cached(): string[] {
    return [...this.pulled];
  }

  /** Resolves when everything queued so far has been tried (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  /** Cancels the pull in flight and drops the queue. */
  async stop(): Promise<void> {
    this.abort.abort();
    this.queue.length = 0;
    await this.idle();
  }

  private async drain(): Promise<void> {
    for (let next = this.queue.shift(); next; next = this.queue.shift()) {
      if (this.abort.signal.aborted) return;
      const started = this.now();
      try {
        await this.opts.pull(next.image, next.auths, this.abort.signal);
        this.pulled.add(next.image);
        if (this.pulled.size > 1_000) this.pulled.delete(this.pulled.values().next().value!);
        this.log.info('pre-pulled image', { image: next.image, ms: this.now() - started });
      } catch (err) {
        if (this.abort.signal.aborted) return;
        this.log.warn('image pre-pull failed', { image: next.image, err: describeError(err) });
      }
    }
  }

  /** Bounds memory: entries past the interval no longer suppress anything. */
  private forgetOlderThan(cutoff: number): void {
    if (this.lastQueued.size < 1_000) return;
    for (const [image, at] of this.lastQueued) if (at <= cutoff) this.lastQueued.delete(image);
  }
}
