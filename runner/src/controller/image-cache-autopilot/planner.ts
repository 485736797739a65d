/**
 * One pass of the autopilot's reasoning (pure): hot image sets → the warm sets to keep, create, refresh and retire,
 * each decision with its reason, never planning more sets (or GiB) than the quota and the budget allow at any
 * moment — retirements are carried out before creations, and a creation that would not fit is skipped, or makes room
 * by retiring a set that is worth less.
 *
 * - Each repository's hot sets (weight ≥ `minWeight`, not switched off or already covered by its
 *   `.github/eci-virtual.yml` `imageCache` settings) are packed into bins of at most `maxImagesPerSet` images: a pod
 *   starts from a cache when one cache holds all of its images, so a bin is a union of whole pod image sets.
 * - Bins are ranked by weight; a bin is served by an existing set of its repository that holds all of its images.
 * - A served bin whose images' digests changed since its set was created gets a fresh set (refresh); the old one
 *   serves until the new one is ready, then it is retired as superseded.
 * - Sets serving no bin are retired (cold), except while a replacement of their repository is being prepared.
 * - Base images kaniko pulled (`learned`) are never put in a bin: kaniko fetches them from the registry itself, so
 *   a cache holding them serves nothing. Each gets a `skip` decision saying so, with its weight and uses, so the
 *   decision log shows what was learnt (none for a repository that switched the autopilot off).
 */
import { createHash } from 'node:crypto';
import type { HotSet, LearnedImage } from './hot-images.js';
import { LABEL, type RepoCacheOverride, type WarmSet } from './types.js';

export interface PlanLimits {
  /** The service's quota of sets (ECI: image caches per account and region). */
  quota: number;
  /** The configured budget: at most this many sets… */
  maxSets: number;
  /** …and at most this many GiB of cache disks. */
  maxTotalGiB: number;
  /** Images one set may hold (ECI: 20 per image cache). */
  maxImagesPerSet: number;
  /** Image sets (and bins) lighter than this (Σ decayed uses × miss seconds) are not worth a cache. */
  minWeight: number;
  /** Uses an image set needs in the window to be hot (default 2: a one-off image is not worth a cache). */
  minUses?: number;
}

export interface PlanInput {
  now: number;
  hot: readonly HotSet[];
  /** The sets the autopilot manages now. */
  existing: readonly WarmSet[];
  overrides: (repo: string) => RepoCacheOverride | undefined;
  /** Current digest of each image checked this pass; absent or undefined: unknown (never a reason to refresh). */
  digests: ReadonlyMap<string, string | undefined>;
  limits: PlanLimits;
  /** Disk size of a set's cache (ECI: ImageCacheSize, 20 GiB unless asked otherwise). */
  sizeGiB: (images: readonly string[]) => number;
  /** The digests the previous pass saw (only to name the images that moved in a refresh's reason). */
  previousDigests?: ReadonlyMap<string, string | undefined>;
  /** Images learnt that no warm set can serve (base images kaniko pulled): decided on, never cached. */
  learned?: readonly LearnedImage[];
}

export type Action = 'create' | 'refresh' | 'keep' | 'wait' | 'retire' | 'skip';

export interface Decision {
  action: Action;
  reason: string;
  repo?: string;
  /** The set acted on (retire, keep, wait) or being replaced (refresh). */
  setId?: string;
  /** Name and images of the set to create (create, refresh) or acted on. */
  name: string;
  images: string[];
  weight?: number;
  /** Jobs that used the image in the window (learnt images). */
  uses?: number;
  /** Labels of the set to create. */
  labels?: Record<string, string>;
}

export interface Bin {
  repo: string;
  images: string[];
  weight: number;
  name: string;
}

/** `eci-virtual-auto-<12 hex>` of the repository and images: stable across passes and controller restarts. */
export function binName(repo: string, images: readonly string[]): string {
  return `eci-virtual-auto-${sha12(`${repo}\n${images.join('\n')}`)}`;
}

/** The digests of a set's images as one label value; undefined when any digest is unknown. */
export function digestLabel(
  images: readonly string[],
  digests: ReadonlyMap<string, string | undefined>,
): string | undefined {
  const parts = images.map((i) => digests.get(i));
  if (parts.some((d) => !d)) return undefined;
  return sha12(images.map((i, n) => `${i}@${parts[n]}`).join('\n'));
}

/** Why a base image kaniko pulled is learnt but never cached. */
export const KANIKO_BASE_REASON = 'kaniko base image: learned; kaniko pulls it itself, a cache cannot serve it';

/** One `skip` decision per learnt image of a repository whose autopilot is on, heaviest first. */
export function learnedDecisions(learned: readonly LearnedImage[], overrides: PlanInput['overrides']): Decision[] {
  return learned
    .filter((l) => overrides(l.repo)?.autopilot !== false)
    .map((l) => ({
      action: 'skip' as const,
      repo: l.repo,
      name: '',
      images: [l.ref],
      weight: round(l.weight),
      uses: l.uses,
      reason: KANIKO_BASE_REASON,
    }));
}

const sha12 = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 12);
const round = (n: number) => Math.round(n * 10) / 10;

/** Packs each repository's hot sets into bins; returns the bins (heaviest first) and the decisions not to cache. */
export function binsOf(
  hot: readonly HotSet[],
  overrides: PlanInput['overrides'],
  limits: PlanLimits,
): { bins: Bin[]; skipped: Decision[] } {
  const skipped: Decision[] = [];
  const byRepo = new Map<string, { images: Set<string>; weight: number }[]>();
  const off = new Set<string>();
  for (const set of hot) {
    const override = overrides(set.repo);
    if (override && !override.autopilot) {
      if (!off.has(set.repo))
        skipped.push({
          action: 'skip',
          repo: set.repo,
          name: '',
          images: [],
          reason: 'imageCache.autopilot is off in the repository settings',
        });
      off.add(set.repo);
      continue;
    }
    if (override?.images.length && set.images.every((i) => override.images.includes(i))) {
      skipped.push({
        action: 'skip',
        repo: set.repo,
        name: '',
        images: set.images,
        weight: round(set.weight),
        reason: 'covered by imageCache.images in the repository settings',
      });
      continue;
    }
    if (set.uses < (limits.minUses ?? 2) || set.weight < limits.minWeight) {
      skipped.push({
        action: 'skip',
        repo: set.repo,
        name: '',
        images: set.images,
        weight: round(set.weight),
        reason:
          set.uses < (limits.minUses ?? 2)
            ? `not hot: ${set.uses} use in the window`
            : 'cold: weight below the minimum',
      });
      continue;
    }
    if (set.images.length > limits.maxImagesPerSet) {
      skipped.push({
        action: 'skip',
        repo: set.repo,
        name: '',
        images: set.images,
        weight: round(set.weight),
        reason: `a pod with ${set.images.length} images; a cache holds at most ${limits.maxImagesPerSet}`,
      });
      continue;
    }
    const bins = byRepo.get(set.repo) ?? [];
    byRepo.set(set.repo, bins);
    const fit = bins.find((b) => new Set([...b.images, ...set.images]).size <= limits.maxImagesPerSet);
    if (fit) {
      for (const i of set.images) fit.images.add(i);
      fit.weight += set.weight;
    } else bins.push({ images: new Set(set.images), weight: set.weight });
  }
  const bins: Bin[] = [];
  for (const [repo, list] of byRepo)
    for (const b of list) {
      const images = [...b.images].sort();
      if (b.weight < limits.minWeight) {
        skipped.push({
          action: 'skip',
          repo,
          name: '',
          images,
          weight: round(b.weight),
          reason: `cold: weight below ${limits.minWeight}`,
        });
        continue;
      }
      bins.push({ repo, images, weight: b.weight, name: binName(repo, images) });
    }
  return { bins: bins.sort((a, b) => b.weight - a.weight || a.name.localeCompare(b.name)), skipped };
}

export function plan(input: PlanInput): Decision[] {
  const { limits } = input;
  const capacity = Math.min(limits.quota, limits.maxSets);
  const { bins, skipped } = binsOf(input.hot, input.overrides, limits);
  const decisions: Decision[] = [...skipped, ...learnedDecisions(input.learned ?? [], input.overrides)];
  const live = input.existing.filter((s) => s.state !== 'failed');
  const retired = new Set<string>();
  for (const s of input.existing.filter((x) => x.state === 'failed'))
    decisions.push(retire(s, 'failed: the service could not prepare it'));
  for (const s of input.existing) if (s.state === 'failed') retired.add(s.id);

  // What each live set is worth: the weight of the heaviest bin it serves (0: none).
  const worth = new Map<string, number>();
  const serving = new Map<Bin, WarmSet>();
  const preparing = new Map<Bin, WarmSet>();
  const covers = (s: WarmSet, b: Bin) => s.labels[LABEL.repo] === b.repo && b.images.every((i) => s.images.includes(i));
  for (const b of bins) {
    const candidates = live.filter((s) => covers(s, b)).sort((x, y) => y.createdAt - x.createdAt);
    const ready = candidates.filter((s) => s.state === 'ready');
    const current = digestLabel(b.images, input.digests);
    const fresh = ready.find((s) => !current || s.labels[LABEL.digests] === current);
    const pending = candidates.find((s) => s.state === 'pending');
    const serve = fresh ?? ready[0];
    if (serve) {
      serving.set(b, serve);
      worth.set(serve.id, Math.max(worth.get(serve.id) ?? 0, b.weight));
    }
    if (pending) {
      preparing.set(b, pending);
      worth.set(pending.id, Math.max(worth.get(pending.id) ?? 0, b.weight));
    }
  }
  // Sets that serve nothing: superseded ones and cold ones go; the rest of a repository whose new set is still
  // being prepared keep serving until it is ready.
  const preparingRepos = new Set(bins.filter((b) => preparing.has(b) || !serving.has(b)).map((b) => b.repo));
  for (const s of live) {
    if (worth.has(s.id)) continue;
    const repo = s.labels[LABEL.repo];
    const newer = [...serving.values()].find(
      (x) => x.id !== s.id && x.labels[LABEL.repo] === repo && s.images.every((i) => x.images.includes(i)),
    );
    if (newer) decisions.push(retire(s, `superseded by ${newer.id}`));
    else if (repo && preparingRepos.has(repo)) {
      decisions.push({ ...describe(s, 'keep'), reason: 'serves its repository until the new set is ready' });
      continue;
    } else decisions.push(retire(s, 'cold: no hot image set of its repository needs it'));
    retired.add(s.id);
  }

  let count = input.existing.length - retired.size;
  let gib = input.existing.filter((s) => !retired.has(s.id)).reduce((n, s) => n + setGiB(s, input), 0);
  const evictable = () =>
    live
      .filter((s) => !retired.has(s.id))
      .sort((a, b) => (worth.get(a.id) ?? 0) - (worth.get(b.id) ?? 0) || a.createdAt - b.createdAt);
  /** Frees room for a set worth `weight`: retires sets worth less, lightest first. */
  const makeRoom = (weight: number, size: number, keep: ReadonlySet<string>): boolean => {
    for (const s of evictable()) {
      if (count + 1 <= capacity && gib + size <= limits.maxTotalGiB) return true;
      if (keep.has(s.id) || (worth.get(s.id) ?? 0) >= weight) break;
      decisions.push(retire(s, `evicted for a hotter set (worth ${round(worth.get(s.id) ?? 0)} < ${round(weight)})`));
      retired.add(s.id);
      count--;
      gib -= setGiB(s, input);
    }
    return count + 1 <= capacity && gib + size <= limits.maxTotalGiB;
  };

  for (const b of bins) {
    // A set evicted for a hotter bin earlier in this loop serves nothing any more.
    const alive = (s: WarmSet | undefined) => (s && !retired.has(s.id) ? s : undefined);
    const serve = alive(serving.get(b));
    const pending = alive(preparing.get(b));
    const current = digestLabel(b.images, input.digests);
    const stale = serve && current && serve.labels[LABEL.digests] !== current;
    const weight = round(b.weight);
    if (pending) {
      decisions.push({ ...describe(pending, 'wait'), weight, reason: 'being prepared' });
      if (serve) decisions.push({ ...describe(serve, 'keep'), weight, reason: 'serves until the new set is ready' });
      continue;
    }
    if (serve && !stale) {
      decisions.push({ ...describe(serve, 'keep'), weight, reason: 'hot: serves a hot image set' });
      continue;
    }
    const size = input.sizeGiB(b.images);
    const labels = {
      [LABEL.managedBy]: 'true',
      [LABEL.repo]: b.repo,
      ...(current ? { [LABEL.digests]: current } : {}),
    };
    const protect = new Set(serve ? [serve.id] : []);
    if (!makeRoom(b.weight, size, protect)) {
      decisions.push({
        action: 'skip',
        repo: b.repo,
        name: b.name,
        images: b.images,
        weight,
        reason: `no room: the quota or budget (${capacity} sets, ${limits.maxTotalGiB} GiB) is in use by hotter sets`,
      });
      if (serve) decisions.push({ ...describe(serve, 'keep'), weight, reason: 'stale, but no room to refresh it' });
      continue;
    }
    count++;
    gib += size;
    if (serve) {
      const moved = b.images.filter((i) => {
        const before = input.previousDigests?.get(i);
        return before !== undefined && before !== input.digests.get(i);
      });
      decisions.push({ ...describe(serve, 'keep'), weight, reason: 'serves until its refresh is ready' });
      decisions.push({
        action: 'refresh',
        repo: b.repo,
        setId: serve.id,
        name: b.name,
        images: b.images,
        weight,
        labels,
        reason: moved.length
          ? `moved tag: ${moved.join(', ')} has a new digest`
          : 'the digests of its images changed since it was created',
      });
    } else
      decisions.push({
        action: 'create',
        repo: b.repo,
        name: b.name,
        images: b.images,
        weight,
        labels,
        reason: `hot, and no set holds all ${b.images.length} of its images`,
      });
  }
  return decisions;
}

function setGiB(s: WarmSet, input: PlanInput): number {
  return s.sizeGiB ?? input.sizeGiB(s.images);
}

function describe(s: WarmSet, action: Action): Decision {
  return {
    action,
    setId: s.id,
    name: s.name,
    images: s.images,
    reason: '',
    ...(s.labels[LABEL.repo] ? { repo: s.labels[LABEL.repo] } : {}),
  };
}

function retire(s: WarmSet, reason: string): Decision {
  return { ...describe(s, 'retire'), reason };
}
