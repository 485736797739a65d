/**
 * Start delays drawn from a distribution, for fleet simulations: a log-normal fitted to a median and a 95th
 * percentile (default p50 8 s, p95 20 s — issue #20's figures for a group's create → Running), from a seeded
 * generator so two runs draw the same delays. `delaysFor` turns it into the emulator's Delays: the draw covers
 * scheduling plus the image pull of a group without an image cache; a group that hits an image cache takes
 * `cachedPullMs` instead of the pull part.
 */
import type { Delays } from './groups.js';
import { seededRandom } from '../seeded-random.js';

export interface StartDelayDistribution {
  p50Ms: number;
  p95Ms: number;
  /** Seed of the generator (default 1). */
  seed?: number;
}

export const DEFAULT_START_DELAYS: StartDelayDistribution = { p50Ms: 8_000, p95Ms: 20_000 };

/** z of the standard normal's 95th percentile. */
const Z95 = 1.6448536269514722;

const uniform = seededRandom;

/** A sampler of start delays (ms) with the given median and 95th percentile. */
export function startDelaySampler(d: StartDelayDistribution = DEFAULT_START_DELAYS): () => number {
  if (!(d.p50Ms > 0) || !(d.p95Ms >= d.p50Ms)) throw new Error('start delays need 0 < p50 ≤ p95');
  const mu = Math.log(d.p50Ms);
  const sigma = Math.log(d.p95Ms / d.p50Ms) / Z95;
  const u = uniform(d.seed ?? 1);
  return () => {
    // Box–Muller: one standard normal from two uniforms (1 - u avoids log(0)).
    const z = Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
    return Math.exp(mu + sigma * z);
  };
}

/**
 * Emulator delays whose create → Running time follows `d`: a fixed `scheduleMs` (Scheduling → Pending) and the rest
 * of each draw as the pull; image-cache hits pull in `cachedPullMs`.
 */
export function delaysFor(
  d: StartDelayDistribution = DEFAULT_START_DELAYS,
  opts: { scheduleMs?: number; cachedPullMs?: number } = {},
): Partial<Delays> {
  const scheduleMs = opts.scheduleMs ?? 500;
  const draw = startDelaySampler(d);
  return {
    scheduleMs,
    cachedPullMs: opts.cachedPullMs ?? 1_000,
    pullMsFor: () => Math.max(0, draw() - scheduleMs),
  };
}
