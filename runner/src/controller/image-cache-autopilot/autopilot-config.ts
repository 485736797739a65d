/**
 * `imageCacheAutopilot:` in the controller config: whether the leader keeps warm image sets for the images jobs
 * use, within which budget, and on what (ECI image caches, or pre-pulls into a docker engine). Off by default.
 *
 *   imageCacheAutopilot:
 *     enabled: true
 *     backend: eci                 # eci | docker
 *     intervalSeconds: 600         # between passes
 *     windowDays: 7                # job history looked at
 *     budget: { maxSets: 10, maxTotalGiB: 200 }
 *     minWeight: 20                # Σ decayed uses × miss seconds a set needs to be worth a cache
 *     minUses: 2                   # uses a set needs in the window
 *     maxChangesPerPass: 10
 *     eci:                         # backend eci: where the caches are made (the virtual node's region and network)
 *       region: cn-hangzhou
 *       vSwitchId: vsw-...
 *       securityGroupId: sg-...
 *       endpoint: https://...      # optional (default the region's public endpoint; vpcEndpoint: true for eci-vpc)
 *       cluster: eci-virtual       # the cluster tag (as the node's --eci-cluster)
 *       quota: 50                  # the account's image cache quota in the region
 *       retentionDays: 7
 *       cacheSizeGiB: 20
 *     docker:                      # backend docker: the engine the virtual node runs pods on
 *       host: unix:///var/run/docker.sock
 *
 * ECI credentials are never in this file: they come from the environment (a Kubernetes Secret), chosen exactly as
 * the virtual node chooses them (virtual-node/backends/eci/credentials.ts).
 */
import { InvalidInput } from '@eci-virtual/contract';
import { MAX_CACHE_IMAGES } from '@eci-virtual/contract';

export interface EciAutopilotTarget {
  region: string;
  vSwitchId: string;
  securityGroupId: string;
  zoneId?: string;
  endpoint?: string;
  vpcEndpoint: boolean;
  cluster: string;
  quota: number;
  retentionDays: number;
  cacheSizeGiB: number;
}

export interface AutopilotConfig {
  enabled: boolean;
  backend: 'eci' | 'docker';
  intervalMs: number;
  windowMs: number;
  budget: { maxSets: number; maxTotalGiB: number; maxImagesPerSet: number; minWeight: number; minUses: number };
  maxChangesPerPass: number;
  eci?: EciAutopilotTarget;
  docker?: { host: string; quota: number };
}

type Raw = Record<string, unknown>;

const mapping = (v: unknown, what: string): Raw => {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new InvalidInput(`${what} must be a mapping`);
  return v as Raw;
};

const num = (
  v: unknown,
  what: string,
  fallback: number,
  check: { min: number; max?: number; integer?: boolean },
): number => {
  if (v === undefined || v === null) return fallback;
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  const range = check.max === undefined ? `at least ${check.min}` : `from ${check.min} to ${check.max}`;
  if (!Number.isFinite(n) || n < check.min || (check.max !== undefined && n > check.max))
    throw new InvalidInput(
      `${what} must be ${check.integer ? 'a whole number' : 'a number'} ${range}, got ${JSON.stringify(v)}`,
    );
  if (check.integer && !Number.isInteger(n))
    throw new InvalidInput(`${what} must be a whole number, got ${JSON.stringify(v)}`);
  return n;
};

const str = (v: unknown, what: string): string | undefined => {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new InvalidInput(`${what} must be a string, got ${JSON.stringify(v)}`);
  return v;
};

const bool = (v: unknown, what: string, fallback: boolean): boolean => {
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') throw new InvalidInput(`${what} must be true or false, got ${JSON.stringify(v)}`);
  return v;
};

export const AUTOPILOT_DEFAULTS = {
  intervalSeconds: 600,
  windowDays: 7,
  maxSets: 10,
  maxTotalGiB: 200,
  minWeight: 20,
  minUses: 2,
  maxChangesPerPass: 10,
  eciQuota: 50,
  retentionDays: 7,
  cacheSizeGiB: 20,
} as const;

export function parseAutopilotConfig(raw: unknown): AutopilotConfig {
  const r = mapping(raw, 'imageCacheAutopilot');
  const w = 'imageCacheAutopilot';
  const enabled = bool(r.enabled, `${w}.enabled`, false);
  const backend = str(r.backend, `${w}.backend`) ?? 'eci';
  if (backend !== 'eci' && backend !== 'docker')
    throw new InvalidInput(`${w}.backend must be eci or docker, got "${backend}"`);
  const budget = mapping(r.budget, `${w}.budget`);
  const d = AUTOPILOT_DEFAULTS;
  const config: AutopilotConfig = {
    enabled,
    backend,
    intervalMs: num(r.intervalSeconds, `${w}.intervalSeconds`, d.intervalSeconds, { min: 1, integer: true }) * 1000,
    windowMs: num(r.windowDays, `${w}.windowDays`, d.windowDays, { min: 1, max: 90, integer: true }) * 86_400_000,
    budget: {
      maxSets: num(budget.maxSets, `${w}.budget.maxSets`, d.maxSets, { min: 1, integer: true }),
      maxTotalGiB: num(budget.maxTotalGiB, `${w}.budget.maxTotalGiB`, d.maxTotalGiB, { min: 1 }),
      maxImagesPerSet: MAX_CACHE_IMAGES,
      minWeight: num(r.minWeight, `${w}.minWeight`, d.minWeight, { min: 0 }),
      minUses: num(r.minUses, `${w}.minUses`, d.minUses, { min: 1, integer: true }),
    },
    maxChangesPerPass: num(r.maxChangesPerPass, `${w}.maxChangesPerPass`, d.maxChangesPerPass, {
      min: 1,
      integer: true,
    }),
  };
  if (backend === 'eci') {
    const eci = eciTarget(mapping(r.eci, `${w}.eci`), enabled);
    if (eci) config.eci = eci;
  } else {
    const docker = mapping(r.docker, `${w}.docker`);
    const host = str(docker.host, `${w}.docker.host`) ?? 'unix:///var/run/docker.sock';
    if (!/^(unix|tcp|http|https):\/\//.test(host))
      throw new InvalidInput(`${w}.docker.host must be unix://, tcp:// or http(s)://, got "${host}"`);
    config.docker = { host, quota: num(docker.quota, `${w}.docker.quota`, 100, { min: 1, integer: true }) };
  }
  return config;
}

/** The ECI target; required (with region, vSwitch, security group) only when the autopilot is enabled. */
function eciTarget(e: Raw, enabled: boolean): EciAutopilotTarget | undefined {
  const w = 'imageCacheAutopilot.eci';
  const region = str(e.region, `${w}.region`);
  const vSwitchId = str(e.vSwitchId, `${w}.vSwitchId`);
  const securityGroupId = str(e.securityGroupId, `${w}.securityGroupId`);
  if (!enabled && !region && !vSwitchId && !securityGroupId) return undefined;
  const missing = [
    ['region', region],
    ['vSwitchId', vSwitchId],
    ['securityGroupId', securityGroupId],
  ]
    .filter(([, v]) => !v)
    .map(([k]) => `${w}.${k}`);
  if (missing.length)
    throw new InvalidInput(`the image-cache autopilot on ECI needs ${missing.join(', ')}`, {
      hint: 'use the region, vSwitch and security group of the virtual node (its --eci-region/--eci-vswitch/--eci-security-group)',
    });
  if (!/^[a-z]{2}-[a-z0-9-]+$/.test(region!))
    throw new InvalidInput(`${w}.region must be a region id like cn-hangzhou, got "${region}"`);
  const endpoint = str(e.endpoint, `${w}.endpoint`);
  if (endpoint !== undefined && !/^https?:\/\/[^/\s]+\/?$/.test(endpoint))
    throw new InvalidInput(`${w}.endpoint must be a URL such as https://eci.${region}.aliyuncs.com, got "${endpoint}"`);
  const retentionDays = num(e.retentionDays, `${w}.retentionDays`, AUTOPILOT_DEFAULTS.retentionDays, {
    min: 1,
    max: 365,
    integer: true,
  });
  const zoneId = str(e.zoneId, `${w}.zoneId`);
  return {
    region: region!,
    vSwitchId: vSwitchId!,
    securityGroupId: securityGroupId!,
    ...(zoneId ? { zoneId } : {}),
    ...(endpoint ? { endpoint: endpoint.replace(/\/$/, '') } : {}),
    vpcEndpoint: bool(e.vpcEndpoint, `${w}.vpcEndpoint`, false),
    cluster: str(e.cluster, `${w}.cluster`) ?? 'eci-virtual',
    quota: num(e.quota, `${w}.quota`, AUTOPILOT_DEFAULTS.eciQuota, { min: 1, integer: true }),
    retentionDays,
    // CreateImageCache ImageCacheSize, GiB (20 unless asked otherwise); the range the ECI emulator accepts.
    cacheSizeGiB: num(e.cacheSizeGiB, `${w}.cacheSizeGiB`, AUTOPILOT_DEFAULTS.cacheSizeGiB, {
      min: 20,
      max: 500,
      integer: true,
    }),
  };
}

/** Whether job pods ask for automatic image cache matching: the autopilot keeps ECI image caches for them. */
export const podsAutoMatch = (config: { imageCacheAutopilot: AutopilotConfig }): boolean =>
  config.imageCacheAutopilot.enabled && config.imageCacheAutopilot.backend === 'eci';
