/**
 * Per-repository placement and image-cache settings, read by the controller from `.github/eci-virtual.yml` at the
 * job's `head_sha` — before the pod exists, which is the only time placement can take effect. One model serves the
 * controller (pod resources, node, annotations), the backends (image cache) and the portal (`/v1/settings`).
 *
 *   placement:                 # defaults for every job of the repository
 *     nodeType: virtual        # virtual | regular
 *     cpu: "2"
 *     memory: 4Gi
 *     eciSpecs: [ecs.c6.large]
 *     spot: prefer             # prefer | never (default); spotPriceLimit: 0.05 (USD/hour) — see spot-settings.ts
 *   jobs:                      # per job key (`jobs.<id>`), over the defaults
 *     build: { cpu: "4", memory: 8Gi }
 *   imageCache:
 *     images: [node:20, postgres:16]
 *     pullPolicy: IfNotPresent
 *     kaniko: { enabled: true, cacheRepo: registry.example.com/cache, cacheTtl: 168h }   # enabled: with a cacheRepo
 *     autopilot: false         # the image-cache autopilot learns nothing from this repository (default true)
 */
import { parse } from 'yaml';
import { ECI_POD_ANNOTATION, InvalidInput } from '@eci-virtual/contract';
import { CACHE_IMAGES_ANNOTATION, formatCacheImages, MAX_CACHE_IMAGES, normalizeImageSet } from '@eci-virtual/contract';
import type { PlacementDefaults } from '../config.js';
import { spotAnnotations, spotPlacementOf, type SpotPlacement } from './spot-settings.js';

export const SETTINGS_PATH = '.github/eci-virtual.yml';

export interface JobPlacement extends SpotPlacement {
  nodeType: 'virtual' | 'regular';
  cpu: string;
  memory: string;
  eciSpecs?: string[];
  nodeSelector: Record<string, string>;
}

export interface ImageCacheSettings {
  images: string[];
  pullPolicy: 'Always' | 'IfNotPresent' | 'Never';
  kaniko: { enabled: boolean; cacheRepo?: string; cacheTtl?: string };
  /** `false`: the image-cache autopilot keeps no caches for this repository (absent: it does). */
  autopilot?: boolean;
}

export interface RepoSettings {
  source: string;
  placement: Partial<JobPlacement>;
  jobs: Record<string, Partial<JobPlacement>>;
  imageCache: ImageCacheSettings;
}

const CPU = /^(\d+(\.\d+)?|\d+m)$/;
const MEMORY = /^\d+(\.\d+)?(Ki|Mi|Gi|Ti|K|M|G|T)?$/;
const DURATION = /^\d+(h|m|s)$/;

function placementOf(raw: unknown, where: string): Partial<JobPlacement> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new InvalidInput(`${where} must be a mapping`);
  const r = raw as Record<string, unknown>;
  const out: Partial<JobPlacement> = {};
  if (r.nodeType !== undefined) {
    if (r.nodeType !== 'virtual' && r.nodeType !== 'regular')
      throw new InvalidInput(`${where}.nodeType must be virtual or regular, got ${JSON.stringify(r.nodeType)}`);
    out.nodeType = r.nodeType;
  }
  if (r.cpu !== undefined) {
    const v = String(r.cpu);
    if (!CPU.test(v)) throw new InvalidInput(`${where}.cpu must be a CPU quantity like "2" or "500m", got "${v}"`);
    out.cpu = v;
  }
  if (r.memory !== undefined) {
    const v = String(r.memory);
    if (!MEMORY.test(v)) throw new InvalidInput(`${where}.memory must be a quantity like "4Gi", got "${v}"`);
    out.memory = v;
  }
  if (r.eciSpecs !== undefined) {
    const specs = Array.isArray(r.eciSpecs) ? r.eciSpecs : [r.eciSpecs];
    if (specs.some((s) => typeof s !== 'string' || !/^[a-z0-9.-]+$/i.test(s)))
      throw new InvalidInput(`${where}.eciSpecs must be instance types like ecs.c6.large`);
    out.eciSpecs = specs as string[];
  }
  if (r.nodeSelector !== undefined) {
    if (typeof r.nodeSelector !== 'object' || r.nodeSelector === null)
      throw new InvalidInput(`${where}.nodeSelector must be a mapping`);
    out.nodeSelector = Object.fromEntries(Object.entries(r.nodeSelector).map(([k, v]) => [k, String(v)]));
  }
  return { ...out, ...spotPlacementOf(r, where) };
}

export function defaultRepoSettings(source = 'controller defaults'): RepoSettings {
  return {
    source,
    placement: {},
    jobs: {},
    imageCache: { images: [], pullPolicy: 'IfNotPresent', kaniko: { enabled: false } },
  };
}

export function parseRepoSettings(text: string, source: string): RepoSettings {
  let raw: unknown;
  try {
    raw = parse(text) ?? {};
  } catch (err) {
    throw new InvalidInput(`${source} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new InvalidInput(`${source} must be a mapping`);
  const r = raw as Record<string, unknown>;
  const settings = defaultRepoSettings(source);
  settings.placement = placementOf(r.placement, 'placement');
  if (r.jobs !== undefined) {
    if (typeof r.jobs !== 'object' || r.jobs === null)
      throw new InvalidInput('jobs must be a mapping of job id → placement');
    for (const [k, v] of Object.entries(r.jobs)) settings.jobs[k] = placementOf(v, `jobs.${k}`);
  }
  const ic = (r.imageCache ?? {}) as Record<string, unknown>;
  if (typeof ic !== 'object') throw new InvalidInput('imageCache must be a mapping');
  if (ic.images !== undefined) {
    if (!Array.isArray(ic.images) || ic.images.some((i) => typeof i !== 'string' || !i || /[\s,]/.test(i)))
      throw new InvalidInput('imageCache.images must be a list of image references');
    const images = normalizeImageSet(ic.images as string[]);
    if (images.length > MAX_CACHE_IMAGES)
      throw new InvalidInput(
        `imageCache.images lists ${images.length} images; an image cache holds at most ${MAX_CACHE_IMAGES}`,
        { hint: 'keep the images most jobs use (large toolchains first)' },
      );
    settings.imageCache.images = images;
  }
  if (ic.pullPolicy !== undefined) {
    if (!['Always', 'IfNotPresent', 'Never'].includes(String(ic.pullPolicy)))
      throw new InvalidInput(
        `imageCache.pullPolicy must be Always, IfNotPresent or Never, got "${String(ic.pullPolicy)}"`,
      );
    settings.imageCache.pullPolicy = ic.pullPolicy as ImageCacheSettings['pullPolicy'];
  }
  if (ic.autopilot !== undefined) {
    if (typeof ic.autopilot !== 'boolean')
      throw new InvalidInput(`imageCache.autopilot must be true or false, got ${JSON.stringify(ic.autopilot)}`);
    settings.imageCache.autopilot = ic.autopilot;
  }
  const k = (ic.kaniko ?? {}) as Record<string, unknown>;
  if (k.cacheTtl !== undefined && !DURATION.test(String(k.cacheTtl)))
    throw new InvalidInput(`imageCache.kaniko.cacheTtl must be a duration like 168h, got "${String(k.cacheTtl)}"`);
  settings.imageCache.kaniko = {
    enabled: k.enabled === true || (k.enabled === undefined && k.cacheRepo !== undefined),
    ...(k.cacheRepo !== undefined ? { cacheRepo: String(k.cacheRepo) } : {}),
    ...(k.cacheTtl !== undefined ? { cacheTtl: String(k.cacheTtl) } : {}),
  };
  return settings;
}

/** Controller defaults ← repository placement ← the job's own entry. */
export function placementFor(
  settings: RepoSettings,
  jobKey: string | undefined,
  defaults: PlacementDefaults,
): JobPlacement {
  const job = jobKey ? (settings.jobs[jobKey] ?? {}) : {};
  const merged = { ...defaults, ...settings.placement, ...job };
  return {
    nodeType: merged.nodeType,
    cpu: merged.cpu,
    memory: merged.memory,
    nodeSelector: { ...defaults.nodeSelector, ...(settings.placement.nodeSelector ?? {}), ...(job.nodeSelector ?? {}) },
    ...(merged.eciSpecs ? { eciSpecs: merged.eciSpecs } : {}),
    ...(merged.spot ? { spot: merged.spot } : {}),
    ...(merged.spotPriceLimit !== undefined ? { spotPriceLimit: merged.spotPriceLimit } : {}),
  };
}

/**
 * Pod annotations the virtual node honours for this placement and image cache: the ECI spec, spot first (unless
 * `noSpot`: a re-run of a reclaimed job), automatic image cache matching, and the images to cache (the `eci` backend
 * keeps an ECI image cache for them, `docker` pre-pulls them). With `autoMatch` (the image-cache autopilot keeps
 * caches on ECI) every pod asks for automatic matching, unless its repository switched the autopilot off
 * (`imageCache.autopilot: false`) and lists no images of its own.
 */
export function placementAnnotations(
  p: JobPlacement,
  cache: ImageCacheSettings,
  opts: { noSpot?: boolean; autoMatch?: boolean } = {},
): Record<string, string> {
  const images = formatCacheImages(cache.images);
  const autoMatch = !!images || (opts.autoMatch === true && cache.autopilot !== false);
  return {
    ...(p.eciSpecs?.length ? { [ECI_POD_ANNOTATION.useSpecs]: p.eciSpecs.join(',') } : {}),
    ...spotAnnotations(p, opts.noSpot),
    ...(autoMatch ? { [ECI_POD_ANNOTATION.autoImageCache]: 'true' } : {}),
    ...(images ? { [CACHE_IMAGES_ANNOTATION]: images } : {}),
  };
}
