/**
 * The docker backend's warm image sets for the image-cache autopilot: a set is images pre-pulled together into the
 * engine (image-prepuller.ts pulls them in the background, one at a time). Minimal: the sets live in this process's
 * memory, a set is ready once each of its images has been pulled, and retiring a set forgets it without removing
 * images from the engine (other pods may use them; the engine's own pruning reclaims space).
 */
import type { ImagePrepuller } from './image-prepuller.js';

export interface PrepullWarmSet {
  id: string;
  name: string;
  images: string[];
  state: 'pending' | 'ready' | 'failed';
  createdAt: number;
  labels: Record<string, string>;
}

export class PrepullWarmSets {
  private readonly sets = new Map<string, Omit<PrepullWarmSet, 'state'>>();
  private seq = 0;

  constructor(
    private readonly prepuller: Pick<ImagePrepuller, 'prepull' | 'cached'>,
    /** Sets held at once (the engine's disk is the real limit). */
    readonly quota = 100,
    private readonly now: () => number = Date.now,
  ) {}

  list(): Promise<PrepullWarmSet[]> {
    const pulled = new Set(this.prepuller.cached());
    return Promise.resolve(
      [...this.sets.values()].map((s) => ({
        ...s,
        state: s.images.every((i) => pulled.has(i)) ? 'ready' : 'pending',
      })),
    );
  }

  create(request: { name: string; images: string[]; labels: Record<string, string> }): Promise<string> {
    const id = `prepull-${++this.seq}`;
    this.sets.set(id, { id, ...request, createdAt: this.now() });
    this.prepuller.prepull(request.images);
    return Promise.resolve(id);
  }

  delete(id: string): Promise<void> {
    this.sets.delete(id);
    return Promise.resolve();
  }
}
