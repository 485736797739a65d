/**
 * The build-image action's inputs → kaniko build options. Pure except for the checks on the workspace (the context
 * and Dockerfile must exist), so a typo fails the step before any build starts, with the input named.
 */
import { existsSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import { InvalidInput } from '@eci-virtual/contract';
import { resolveDockerfile, validateImageReference, type KanikoBuildOptions } from './kaniko/kaniko-args.js';

/** Raw inputs as strings (what `core.getInput` returns; '' when not given). */
export interface RawInputs {
  context: string;
  dockerfile: string;
  destination: string;
  buildArgs: string;
  target: string;
  cache: string;
  cacheRepo: string;
  cacheTtl: string;
  push: string;
  registryMirror: string;
  insecureRegistries: string;
  registryMap: string;
}

export interface BuildPlan {
  options: KanikoBuildOptions;
  /** Build-arg values to mask in logs (names that look like credentials). */
  secretValues: string[];
  dockerfilePath: string;
}

/** Newline- or comma-separated list, trimmed, empties dropped. */
export function list(value: string): string[] {
  return value
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter(Boolean);
}

export function bool(value: string, name: string, fallback: boolean): boolean {
  const v = value.trim().toLowerCase();
  if (v === '') return fallback;
  if (['true', 'yes', 'on', '1'].includes(v)) return true;
  if (['false', 'no', 'off', '0'].includes(v)) return false;
  throw new InvalidInput(`input "${name}" must be true or false, got "${value}"`);
}

function pairs(value: string, name: string, sep = '='): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of value.split('\n')) {
    if (!line.trim()) continue;
    const at = line.indexOf(sep);
    if (at <= 0) throw new InvalidInput(`input "${name}": "${line.trim()}" is not KEY${sep}VALUE`);
    out[line.slice(0, at).trim()] = line.slice(at + 1);
  }
  return out;
}

const SECRET_NAME_RE = /(TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|API_?KEY|PRIVATE)/i;

/** The repository part of an image reference (no tag or digest). */
export function repositoryOf(ref: string): string {
  const noDigest = ref.split('@')[0]!;
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}

export function planBuild(raw: RawInputs, workspace: string): BuildPlan {
  const contextInput = raw.context.trim() || '.';
  const context = posix.resolve(workspace, contextInput);
  if (!existsSync(context) || !statSync(context).isDirectory())
    throw new InvalidInput(`input "context": ${contextInput} (${context}) is not a directory in the workspace`);
  const dockerfilePath = resolveDockerfile(context, raw.dockerfile.trim() || 'Dockerfile');
  if (!existsSync(dockerfilePath))
    throw new InvalidInput(
      `input "dockerfile": ${posix.relative(context, dockerfilePath)} not found in the context ${contextInput}`,
    );
  const push = bool(raw.push, 'push', true);
  const destinations = list(raw.destination);
  if (push && destinations.length === 0)
    throw new InvalidInput('input "destination" is required when push is true (one or more image:tag)');
  destinations.forEach((d) => validateImageReference(d, 'input "destination"'));
  const buildArgs = pairs(raw.buildArgs, 'build-args');
  const cache = bool(raw.cache, 'cache', false);
  let cacheRepo = raw.cacheRepo.trim();
  if (cache && !cacheRepo) {
    if (!destinations.length) throw new InvalidInput('input "cache-repo" is required when cache is on and push is off');
    cacheRepo = `${repositoryOf(destinations[0]!)}/cache`;
  }
  const options: KanikoBuildOptions = {
    context,
    dockerfile: posix.relative(context, dockerfilePath),
    destinations,
    ...(push ? {} : { noPush: true }),
    ...(Object.keys(buildArgs).length ? { buildArgs } : {}),
    ...(raw.target.trim() ? { target: raw.target.trim() } : {}),
    ...(cache
      ? { cache: { repo: cacheRepo, copyLayers: true, ...(raw.cacheTtl.trim() ? { ttl: raw.cacheTtl.trim() } : {}) } }
      : {}),
    ...(list(raw.insecureRegistries).length ? { insecureRegistries: list(raw.insecureRegistries) } : {}),
    ...(list(raw.registryMirror).length ? { registryMirrors: list(raw.registryMirror) } : {}),
    ...(raw.registryMap.trim() ? { registryMap: pairs(raw.registryMap, 'registry-map') } : {}),
    pushRetry: 2,
  };
  const secretValues = Object.entries(buildArgs)
    .filter(([k, v]) => SECRET_NAME_RE.test(k) && v.length > 0)
    .map(([, v]) => v);
  return { options, secretValues, dockerfilePath };
}
