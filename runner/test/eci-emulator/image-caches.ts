/** Emulated image caches (CreateImageCache / DescribeImageCaches / DeleteImageCache): Preparing → Ready. */
export interface ImageCache {
  id: string;
  name: string;
  images: string[];
  status: 'Preparing' | 'Ready';
  creationTime: Date;
  readyAt: number;
  clientToken?: string;
}

export class ImageCacheStore {
  readonly caches = new Map<string, ImageCache>();
  private seq = 0;

  constructor(private readonly prepareMs: () => number) {}

  create(name: string, images: string[], clientToken?: string): ImageCache {
    const existing = clientToken ? [...this.caches.values()].find((c) => c.clientToken === clientToken) : undefined;
    if (existing) return existing;
    const c: ImageCache = {
      id: `imc-${Date.now().toString(36)}${(this.seq++).toString(36).padStart(4, '0')}`,
      name,
      images,
      status: 'Preparing',
      creationTime: new Date(),
      readyAt: Date.now() + this.prepareMs(),
      ...(clientToken ? { clientToken } : {}),
    };
    this.caches.set(c.id, c);
    return c;
  }

  /** Advances states on read: a cache is Ready once its preparation time has passed. */
  list(): ImageCache[] {
    for (const c of this.caches.values()) if (c.status === 'Preparing' && Date.now() >= c.readyAt) c.status = 'Ready';
    return [...this.caches.values()];
  }

  get(id: string): ImageCache | undefined {
    return this.list().find((c) => c.id === id);
  }

  /** A Ready cache holding every image (what AutoMatchImageCache picks). */
  match(images: string[]): ImageCache | undefined {
    return this.list().find((c) => c.status === 'Ready' && images.every((i) => c.images.includes(i)));
  }

  delete(id: string): boolean {
    return this.caches.delete(id);
  }
}

export function describeCache(c: ImageCache): Record<string, unknown> {
  return {
    ImageCacheId: c.id,
    ImageCacheName: c.name,
    Status: c.status,
    Images: c.images,
    Progress: c.status === 'Ready' ? '100%' : '50%',
    CreationTime: c.creationTime.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    Events: [],
  };
}
