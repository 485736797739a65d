/**
 * Keeps one ECI image cache per image set (the cache-images set (`ANNOTATION.cacheImages`) annotation of job pods, from the
 * repository's `imageCache.images`). A set's cache is named `eci-virtual-<hash of the set>` and tagged with the
 * node's cluster, so every node of the cluster (and this node after a restart) finds it again by name.
 *
 * - First need: the set is looked up (DescribeImageCaches by name and cluster tag) and created when missing
 *   (CreateImageCache with the node's vSwitch and security group, RetentionDays, the pod's registry credentials and a
 *   ClientToken, so the client's retries never create two).
 * - Refresh: once the Ready cache is older than the refresh interval (and the set is still in use), a new cache is
 *   created; when it is Ready, pods get the new one and the old one is deleted after a grace period (pods being
 *   created at that moment may still name it).
 * - Failed caches are deleted and re-created after a backoff that doubles with each consecutive failure.
 *
 * Pod creation never waits for any of this: `readyCacheFor` answers from memory (a Ready cache id, or nothing and the
 * pod uses automatic matching) and kicks the background work. `run` polls every managed set; errors are logged with
 * the set's context, never thrown.
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { describeError, isErrorCode } from '@eci-virtual/contract';
import { MAX_CACHE_IMAGES, normalizeImageSet } from '@eci-virtual/contract';
import type { Logger } from '../../../observability/logger.js';
import type { RegistryAuth } from '../backend.js';
import type { EciClient } from './eci-client.js';
import { TAG, type EciNodeSettings } from './pod-mapping.js';

export interface ImageCacheSettings {
  /** RetentionDays of the caches created (ECI removes a cache that long after its creation). */
  retentionDays: number;
  /** Age after which a set's cache is rebuilt (tags such as `node:20` move). */
  refreshMs: number;
  /** How often the managed sets are polled (default 15 s). */
  pollIntervalMs?: number;
  /** Wait before re-creating after a failure; doubles per consecutive failure, up to 6 h (default 5 min). */
  failureBackoffMs?: number;
  /** How long a superseded Ready cache is kept before it is deleted (default 2 min). */
  supersededGraceMs?: number;
  /** Sets kept in memory; the least recently used is forgotten first (default 50). */
  maxSets?: number;
}

export interface ImageCacheManagerOptions extends ImageCacheSettings {
  client: Pick<EciClient, 'call'>;
  node: EciNodeSettings;
  log: Logger;
  now?: () => number;
}

/** An image cache as DescribeImageCaches answers it (the fields used here). */
export interface EciImageCache {
  ImageCacheId: string;
  ImageCacheName?: string;
  Status: string;
  CreationTime?: string;
  Images?: string[];
  Events?: { Type?: string; Message?: string }[];
}

type RegistryCredential = { Server: string; UserName: string; Password: string };

interface ImageSet {
  key: string;
  name: string;
  images: string[];
  credentials: RegistryCredential[];
  /** The newest Ready cache: what pods of this set are created with. */
  readyId?: string;
  lastUsed: number;
  /** Caches created here that DescribeImageCaches may not list yet (id → when). */
  created: Map<string, number>;
  /** Ready caches replaced by a newer one (id → when), deleted after the grace period. */
  superseded: Map<string, number>;
  failures: number;
  retryAt: number;
  syncing?: Promise<void>;
}

const PENDING = new Set(['Preparing', 'Creating', 'Updating']);
const FAILED = new Set(['Failed', 'UpdateFailed']);
const PAGE_SIZE = 20;
const MAX_PAGES = 5;
/** How long a cache just created may be missing from DescribeImageCaches before it is considered gone. */
const VISIBILITY_MS = 120_000;
const DAY_MS = 86_400_000;
const MAX_CREDENTIALS = 10;

/** `eci-virtual-<12 hex>`: the same for the same set on every node. */
export function imageCacheName(images: readonly string[]): string {
  const hash = createHash('sha256').update(normalizeImageSet(images).join('\n')).digest('hex').slice(0, 12);
  return `eci-virtual-${hash}`;
}

export class ImageCacheManager {
  private readonly sets = new Map<string, ImageSet>();
  private readonly abort = new AbortController();
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly warnedTooMany = new Set<string>();

  constructor(private readonly opts: ImageCacheManagerOptions) {
    this.log = opts.log.child({ component: 'image-cache' });
    this.now = opts.now ?? Date.now;
  }

  /**
   * The Ready cache of this image set, if one is known, without waiting for anything: undefined means "use automatic
   * matching". The first call for a set starts looking it up (and creating it) in the background.
   */
  readyCacheFor(images: readonly string[], auths: readonly RegistryAuth[] = []): string | undefined {
    const set = this.setFor(normalizeImageSet(images));
    if (!set) return undefined;
    set.lastUsed = this.now();
    const credentials = credentialsOf(auths);
    if (credentials.length) set.credentials = credentials;
    return set.readyId;
  }

  /** The images of every set with a Ready cache (for the Node's `status.images`), each with that cache's id. */
  readyImages(): { images: string[]; id: string }[] {
    return [...this.sets.values()].flatMap((set) => (set.readyId ? [{ images: set.images, id: set.readyId }] : []));
  }

  /** Polls every managed set until `signal` aborts or `stop()` is called. */
  async run(signal: AbortSignal): Promise<void> {
    const stop = () => this.abort.abort();
    if (signal.aborted) stop();
    signal.addEventListener('abort', stop, { once: true });
    try {
      while (!this.abort.signal.aborted) {
        await sleep(this.opts.pollIntervalMs ?? 15_000, undefined, { signal: this.abort.signal }).catch(
          () => undefined,
        );
        if (this.abort.signal.aborted) break;
        await this.syncAll();
      }
    } finally {
      signal.removeEventListener('abort', stop);
      await Promise.allSettled([...this.sets.values()].map((s) => s.syncing));
    }
  }

  stop(): void {
    this.abort.abort();
  }

  /** One pass over every set (what each poll does); forgets sets unused for longer than the retention. */
  async syncAll(): Promise<void> {
    const forgetBefore = this.now() - this.opts.retentionDays * DAY_MS;
    for (const set of [...this.sets.values()]) {
      if (this.abort.signal.aborted) return;
      if (set.lastUsed < forgetBefore && !set.syncing) {
        this.sets.delete(set.key);
        continue;
      }
      await this.sync(set);
    }
  }

  private setFor(images: string[]): ImageSet | undefined {
    if (!images.length) return undefined;
    const name = imageCacheName(images);
    if (images.length > MAX_CACHE_IMAGES) {
      if (!this.warnedTooMany.has(name)) {
        this.warnedTooMany.add(name);
        this.log.warn('too many images for one image cache; pods use automatic matching', {
          imageSet: name,
          images: images.length,
          max: MAX_CACHE_IMAGES,
        });
      }
      return undefined;
    }
    let set = this.sets.get(name);
    if (set) return set;
    this.evictLeastRecentlyUsed();
    set = {
      key: name,
      name,
      images,
      credentials: [],
      lastUsed: this.now(),
      created: new Map(),
      superseded: new Map(),
      failures: 0,
      retryAt: 0,
    };
    this.sets.set(name, set);
    void this.sync(set);
    return set;
  }

  private evictLeastRecentlyUsed(): void {
    const max = this.opts.maxSets ?? 50;
    while (this.sets.size >= max) {
      const oldest = [...this.sets.values()].reduce((a, b) => (b.lastUsed < a.lastUsed ? b : a));
      this.sets.delete(oldest.key);
    }
  }

  /** Reconciles one set; concurrent callers share the pass in flight. Never throws. */
  private sync(set: ImageSet): Promise<void> {
    set.syncing ??= this.reconcile(set)
      .catch((err) => {
        if (this.abort.signal.aborted) return;
        set.failures++;
        set.retryAt = this.now() + this.backoff(set.failures);
        this.log.warn('image cache sync failed', {
          imageSet: set.name,
          failures: set.failures,
          retryInMs: set.retryAt - this.now(),
          err: describeError(err),
        });
      })
      .finally(() => {
        set.syncing = undefined;
      });
    return set.syncing;
  }

  private backoff(failures: number): number {
    return Math.min(6 * 3_600_000, (this.opts.failureBackoffMs ?? 300_000) * 2 ** Math.max(0, failures - 1));
  }

  private async reconcile(set: ImageSet): Promise<void> {
    const caches = await this.describe(set);
    const now = this.now();
    const log = this.log.child({ imageSet: set.name });
    for (const [id, at] of set.created)
      if (caches.some((c) => c.ImageCacheId === id) || now - at > VISIBILITY_MS) set.created.delete(id);

    for (const c of caches.filter((x) => FAILED.has(x.Status))) {
      set.failures++;
      set.retryAt = now + this.backoff(set.failures);
      log.warn('image cache failed; deleting it', {
        imageCache: c.ImageCacheId,
        status: c.Status,
        reason: lastWarning(c),
        failures: set.failures,
        recreateInMs: set.retryAt - now,
      });
      await this.delete(c.ImageCacheId);
    }

    // Newest first; CreationTime has second precision, so on a tie the cache pods do not use yet is the newer one.
    const ready = caches
      .filter((c) => c.Status === 'Ready')
      .sort(
        (a, b) =>
          createdAt(b, now) - createdAt(a, now) ||
          Number(a.ImageCacheId === set.readyId) - Number(b.ImageCacheId === set.readyId),
      );
    const candidates = ready.filter((c) => !set.superseded.has(c.ImageCacheId));
    const current = candidates[0] ?? ready[0];
    if (current) set.superseded.delete(current.ImageCacheId);
    if (current && current.ImageCacheId !== set.readyId) {
      if (set.readyId) set.superseded.set(set.readyId, now);
      log.info('image cache ready', { imageCache: current.ImageCacheId, images: set.images.length });
      set.failures = 0;
    }
    set.readyId = current?.ImageCacheId;
    for (const old of ready)
      if (old !== current && !set.superseded.has(old.ImageCacheId)) set.superseded.set(old.ImageCacheId, now);
    const grace = this.opts.supersededGraceMs ?? 120_000;
    for (const [id, since] of set.superseded) {
      if (!caches.some((c) => c.ImageCacheId === id)) set.superseded.delete(id);
      else if (now - since >= grace) {
        log.info('deleting superseded image cache', { imageCache: id, current: set.readyId });
        await this.delete(id);
        set.superseded.delete(id);
      }
    }

    const pending = caches.filter((c) => PENDING.has(c.Status)).length + set.created.size;
    if (pending > 0 || now < set.retryAt) return;
    if (!current) await this.create(set, 'missing');
    else if (now - createdAt(current, now) >= this.opts.refreshMs && now - set.lastUsed < this.opts.refreshMs)
      await this.create(set, 'refresh');
  }

  private async describe(set: ImageSet): Promise<EciImageCache[]> {
    const out: EciImageCache[] = [];
    let token: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const res = await this.opts.client.call<{ ImageCaches?: EciImageCache[]; NextToken?: string }>(
        'DescribeImageCaches',
        { ImageCacheName: set.name, Tag: [this.clusterTag()], Limit: PAGE_SIZE, NextToken: token },
        this.abort.signal,
      );
      // The name filter is exact on ECI; checked again so a looser match never hands out another set's cache.
      out.push(...(res.ImageCaches ?? []).filter((c) => !c.ImageCacheName || c.ImageCacheName === set.name));
      token = res.NextToken || undefined;
      if (!token) break;
    }
    return out;
  }

  private async create(set: ImageSet, reason: 'missing' | 'refresh'): Promise<void> {
    const now = this.now();
    const res = await this.opts.client.call<{ ImageCacheId: string }>(
      'CreateImageCache',
      {
        ImageCacheName: set.name,
        Image: set.images,
        VSwitchId: this.opts.node.vSwitchId,
        SecurityGroupId: this.opts.node.securityGroupId,
        RetentionDays: this.opts.retentionDays,
        ImageRegistryCredential: set.credentials,
        Tag: [this.clusterTag()],
        // Unique per creation, and the same across the client's retries of this call.
        ClientToken: `${set.name}-${now.toString(36)}`,
      },
      this.abort.signal,
    );
    set.created.set(res.ImageCacheId, now);
    this.log.info('creating image cache', {
      imageSet: set.name,
      imageCache: res.ImageCacheId,
      reason,
      images: set.images.length,
      retentionDays: this.opts.retentionDays,
    });
  }

  private async delete(id: string): Promise<void> {
    try {
      await this.opts.client.call('DeleteImageCache', { ImageCacheId: id }, this.abort.signal);
    } catch (err) {
      if (!isErrorCode(err, 'NotFound')) throw err;
    }
  }

  private clusterTag(): { Key: string; Value: string } {
    return { Key: TAG.cluster, Value: this.opts.node.clusterName };
  }
}

function credentialsOf(auths: readonly RegistryAuth[]): RegistryCredential[] {
  return auths
    .filter((a) => a.username && a.password)
    .slice(0, MAX_CREDENTIALS)
    .map((a) => ({ Server: a.registry, UserName: a.username!, Password: a.password! }));
}

function createdAt(c: EciImageCache, fallback: number): number {
  const t = c.CreationTime ? Date.parse(c.CreationTime) : NaN;
  return Number.isFinite(t) ? t : fallback;
}

function lastWarning(c: EciImageCache): string | undefined {
  return [...(c.Events ?? [])].reverse().find((e) => e.Type === 'Warning')?.Message;
}
