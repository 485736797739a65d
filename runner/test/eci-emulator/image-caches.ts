/**
 * Emulated image caches (CreateImageCache / DescribeImageCaches / DeleteImageCache). A cache goes Preparing →
 * Creating → Ready over `prepareMs` (the first third preparing, the rest creating), or ends Failed when one of its
 * images is in `failing` (tests put an image there to see a cache fail). A cache expires `RetentionDays` after its
 * creation (ECI then removes it) and records when a container group last matched it.
 */
import { realClock, type EmulatorClock } from './clock.js';

export type ImageCacheStatus = 'Preparing' | 'Creating' | 'Ready' | 'Failed' | 'Updating' | 'UpdateFailed';

export interface ImageCacheInput {
  name: string;
  images: string[];
  tags: { Key: string; Value: string }[];
  retentionDays?: number;
  sizeGiB: number;
  /** Registry servers the request carried credentials for (the credentials themselves are not kept). */
  credentialServers: string[];
  clientToken?: string;
}

export interface ImageCache extends ImageCacheInput {
  id: string;
  status: ImageCacheStatus;
  creationTime: Date;
  readyAt: number;
  snapshotId: string;
  containerGroupId: string;
  lastMatchedTime?: Date;
  events: {
    Type: string;
    Name: string;
    Message: string;
    Count: number;
    FirstTimestamp: string;
    LastTimestamp: string;
  }[];
}

const DAY_MS = 86_400_000;
const rfc3339 = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

export class ImageCacheStore {
  readonly caches = new Map<string, ImageCache>();
  /** Images whose caches fail (set by tests). */
  readonly failing = new Set<string>();
  private seq = 0;

  constructor(
    private readonly prepareMs: () => number,
    private readonly clock: EmulatorClock = realClock,
  ) {}

  /** A retry with the same ClientToken returns the cache the first call created. */
  create(input: ImageCacheInput): ImageCache {
    const existing = input.clientToken
      ? [...this.caches.values()].find((c) => c.clientToken === input.clientToken)
      : undefined;
    if (existing) return existing;
    const suffix = `${this.clock.now().toString(36)}${(this.seq++).toString(36).padStart(4, '0')}`;
    const c: ImageCache = {
      ...input,
      id: `imc-${suffix}`,
      status: 'Preparing',
      creationTime: new Date(this.clock.now()),
      readyAt: this.clock.now() + this.prepareMs(),
      snapshotId: `s-${suffix}`,
      containerGroupId: `eci-imc-${suffix}`,
      events: [],
    };
    this.caches.set(c.id, c);
    return c;
  }

  /** Advances states on read and drops expired caches. */
  list(): ImageCache[] {
    const now = this.clock.now();
    for (const c of [...this.caches.values()]) {
      if (c.retentionDays !== undefined && now >= c.creationTime.getTime() + c.retentionDays * DAY_MS) {
        this.caches.delete(c.id);
        continue;
      }
      if (c.status !== 'Preparing' && c.status !== 'Creating') continue;
      const started = c.creationTime.getTime();
      if (now >= c.readyAt) this.finish(c);
      else if (now >= started + (c.readyAt - started) / 3) c.status = 'Creating';
    }
    return [...this.caches.values()];
  }

  private finish(c: ImageCache): void {
    const failed = c.images.find((i) => this.failing.has(i));
    const at = rfc3339(new Date(this.clock.now()));
    c.status = failed ? 'Failed' : 'Ready';
    c.events.push(
      failed
        ? {
            Type: 'Warning',
            Name: `${c.id}.pull`,
            Message: `Failed to pull image "${failed}": not found`,
            Count: 1,
            FirstTimestamp: at,
            LastTimestamp: at,
          }
        : {
            Type: 'Normal',
            Name: `${c.id}.ready`,
            Message: 'Successfully created image cache',
            Count: 1,
            FirstTimestamp: at,
            LastTimestamp: at,
          },
    );
  }

  get(id: string): ImageCache | undefined {
    return this.list().find((c) => c.id === id);
  }

  /** A Ready cache holding every image (what AutoMatchImageCache picks), newest first. */
  match(images: string[]): ImageCache | undefined {
    const found = this.list()
      .filter((c) => c.status === 'Ready' && images.every((i) => c.images.includes(i)))
      .sort((a, b) => b.creationTime.getTime() - a.creationTime.getTime())[0];
    if (found) found.lastMatchedTime = new Date(this.clock.now());
    return found;
  }

  delete(id: string): boolean {
    return this.caches.delete(id);
  }
}

/** One cache in the SDK model's names (`@alicloud/eci20180808` DescribeImageCachesResponseBodyImageCaches). */
export function describeCache(c: ImageCache, regionId: string): Record<string, unknown> {
  const progress = { Preparing: '10%', Creating: '50%', Ready: '100%' } as Record<string, string>;
  return {
    ImageCacheId: c.id,
    ImageCacheName: c.name,
    RegionId: regionId,
    Status: c.status,
    Images: c.images,
    ImageCacheSize: c.sizeGiB,
    Progress: progress[c.status] ?? '0%',
    SnapshotId: c.status === 'Ready' ? c.snapshotId : '',
    ContainerGroupId: c.containerGroupId,
    CreationTime: rfc3339(c.creationTime),
    ...(c.retentionDays !== undefined
      ? { ExpireDateTime: rfc3339(new Date(c.creationTime.getTime() + c.retentionDays * DAY_MS)) }
      : {}),
    ...(c.lastMatchedTime ? { LastMatchedTime: rfc3339(c.lastMatchedTime) } : {}),
    Tags: c.tags,
    Events: c.events,
  };
}
