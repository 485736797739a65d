/**
 * Which image sets each repository's jobs use, weighted by how often and how recently (exponential decay with a
 * half-life) and by what a miss costs (the set's image preparation time without a cache). Pure.
 *
 * A pod's image set is the images of its containers (roles `runner`, `job`, `service`, `step`): what one cache must
 * hold for the pod to start from it. Base images kaniko pulled while building (`kaniko-base`) are not part of it —
 * kaniko fetches them from the registry itself, so a cache holding them would not speed anything up — and are
 * learnt on their own (`learnedKanikoBases`), for the decision log to show.
 */
import { normalizeImageSet } from '@eci-virtual/contract';
import type { ImageUse } from './types.js';

export interface HotSet {
  repo: string;
  images: string[];
  /** Σ over uses of decay(age) × prep seconds of a miss. */
  weight: number;
  uses: number;
  lastUsed: number;
  /** The preparation time a miss costs (median of the uncached preparations seen, else the default). */
  missSeconds: number;
}

export interface HotOptions {
  now: number;
  /** Weight halves every this many ms (default 2 days). */
  halfLifeMs?: number;
  /** What a miss is assumed to cost when no uncached preparation of the set was seen (default 30 s). */
  defaultMissSeconds?: number;
}

/** A base image a repository's kaniko builds pulled, weighed like a hot set. */
export interface LearnedImage {
  repo: string;
  ref: string;
  role: 'kaniko-base';
  /** Σ over uses of decay(age) × the default miss seconds (kaniko's own pull times are not known). */
  weight: number;
  uses: number;
  lastUsed: number;
}

const key = (repo: string, images: readonly string[]) => `${repo}\u0000${images.join('\n')}`;
const decayed = (ats: readonly number[], now: number, halfLife: number) =>
  ats.reduce((sum, at) => sum + 0.5 ** (Math.max(0, now - at) / halfLife), 0);

/** Hot sets, hottest first. */
export function hotSets(uses: readonly ImageUse[], opts: HotOptions): HotSet[] {
  const halfLife = opts.halfLifeMs ?? 2 * 86_400_000;
  const groups = new Map<string, { repo: string; images: string[]; ats: number[]; misses: number[] }>();
  for (const u of uses) {
    const images = normalizeImageSet(u.images.filter((i) => i.role !== 'kaniko-base').map((i) => i.ref));
    if (!images.length) continue;
    const k = key(u.repo, images);
    const g = groups.get(k) ?? { repo: u.repo, images, ats: [], misses: [] };
    g.ats.push(u.at);
    if (u.fromCache === false && u.prepSeconds !== undefined) g.misses.push(u.prepSeconds);
    groups.set(k, g);
  }
  const out: HotSet[] = [];
  for (const g of groups.values()) {
    const missSeconds = median(g.misses) ?? opts.defaultMissSeconds ?? 30;
    out.push({
      repo: g.repo,
      images: g.images,
      weight: decayed(g.ats, opts.now, halfLife) * missSeconds,
      uses: g.ats.length,
      lastUsed: Math.max(...g.ats),
      missSeconds,
    });
  }
  return out.sort((a, b) => b.weight - a.weight || a.repo.localeCompare(b.repo));
}

/** The base images each repository's kaniko builds pulled (one use per job), heaviest first. */
export function learnedKanikoBases(uses: readonly ImageUse[], opts: HotOptions): LearnedImage[] {
  const halfLife = opts.halfLifeMs ?? 2 * 86_400_000;
  const groups = new Map<string, { repo: string; ref: string; ats: number[] }>();
  for (const u of uses)
    for (const ref of new Set(u.images.filter((i) => i.role === 'kaniko-base').map((i) => i.ref))) {
      const k = key(u.repo, [ref]);
      const g = groups.get(k) ?? { repo: u.repo, ref, ats: [] };
      g.ats.push(u.at);
      groups.set(k, g);
    }
  return [...groups.values()]
    .map((g) => ({
      repo: g.repo,
      ref: g.ref,
      role: 'kaniko-base' as const,
      weight: decayed(g.ats, opts.now, halfLife) * (opts.defaultMissSeconds ?? 30),
      uses: g.ats.length,
      lastUsed: Math.max(...g.ats),
    }))
    .sort((a, b) => b.weight - a.weight || a.repo.localeCompare(b.repo) || a.ref.localeCompare(b.ref));
}

function median(xs: number[]): number | undefined {
  if (!xs.length) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1]! + s[mid]!) / 2;
}
