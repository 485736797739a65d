/**
 * Built test images, cached per user as OCI layouts in ~/.cache/eci-virtual/images/<name>-<recipe-hash>/, and their
 * push to the local registry. The slow part (debootstrap) runs once per recipe; a fresh `.local` (registry storage
 * wiped) only re-pushes the cached layout, which takes seconds.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Internal } from '@eci-virtual/contract';
import type { ImageRecipe } from '../images/recipe.js';
import { layout, registryAddress } from './engine-layout.js';
import { ociDigest, packageRootfs } from './image-build.js';
import { withLock } from './lock.js';
import { removeTree } from './mounts.js';
import { cacheDir } from './paths.js';
import { registryDigest } from './registry.js';
import { run } from './run.js';
import { requireTools } from './tools.js';

export interface CachedImage {
  recipe: ImageRecipe;
  hash: string;
  /** OCI layout directory. */
  oci: string;
  /** Manifest digest (sha256:...). */
  digest: string;
  /** Full reference in the local registry. */
  reference: string;
}

/** JSON with sorted keys, so the hash does not depend on property order. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export async function recipeHash(recipe: ImageRecipe): Promise<string> {
  const identity = { name: recipe.name, repository: recipe.repository, tag: recipe.tag, inputs: await recipe.inputs() };
  return createHash('sha256').update(stableJson(identity)).digest('hex').slice(0, 16);
}

export const imageReference = (recipe: ImageRecipe): string =>
  `${registryAddress()}/${recipe.repository}:${recipe.tag}`;

const entryDir = (recipe: ImageRecipe, hash: string) => join(layout.imageCache, `${recipe.name}-${hash}`);

/** The cached build for this recipe hash, if a complete one exists. */
export function findCached(recipe: ImageRecipe, hash: string): CachedImage | undefined {
  const oci = join(entryDir(recipe, hash), 'oci');
  const digest = existsSync(join(entryDir(recipe, hash), 'meta.json')) ? ociDigest(oci, recipe.tag) : undefined;
  return digest ? { recipe, hash, oci, digest, reference: imageReference(recipe) } : undefined;
}

/** Returns the cached image, building it first when this recipe hash has never been built on this machine. */
export async function ensureBuilt(recipe: ImageRecipe, log: (msg: string) => void): Promise<CachedImage> {
  const hash = await recipeHash(recipe);
  const dir = entryDir(recipe, hash);
  return withLock(
    `${dir}.lock`,
    async () => {
      const cached = findCached(recipe, hash);
      if (cached) return cached;
      requireTools(['umoci', 'tar', ...recipe.tools], `build the ${recipe.name} test image`);
      const started = Date.now();
      log(`building image ${recipe.name} (recipe ${hash})`);
      // Built next to the final place and renamed at the end: an interrupted build never looks complete.
      const partial = `${dir}.partial`;
      await removeTree(partial);
      const rootfs = join(partial, 'rootfs');
      mkdirSync(rootfs, { recursive: true });
      await recipe.buildRootfs(rootfs, { downloadCache: join(cacheDir, 'downloads'), log });
      const digest = await packageRootfs(rootfs, join(partial, 'oci'), recipe, hash);
      await removeTree(rootfs);
      const meta = {
        name: recipe.name,
        hash,
        digest,
        inputs: await recipe.inputs(),
        builtAt: new Date().toISOString(),
      };
      writeFileSync(join(partial, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`);
      await removeTree(dir);
      renameSync(partial, dir);
      log(`built image ${recipe.name} ${digest} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      const built = findCached(recipe, hash);
      if (!built) throw new Internal(`image cache entry ${dir} is incomplete after building`);
      return built;
    },
    { timeoutMs: 30 * 60_000, log, what: `building image ${recipe.name}` },
  );
}

/** Pushes the cached layout unless the registry's tag already has exactly this manifest. Returns whether it pushed. */
export async function ensurePushed(image: CachedImage, log: (msg: string) => void): Promise<boolean> {
  const { recipe } = image;
  if ((await registryDigest(recipe.repository, recipe.tag)) === image.digest) return false;
  requireTools(['skopeo'], 'push test images to the local registry');
  log(`pushing ${image.reference}`);
  // --insecure-policy: no dependency on /etc/containers/policy.json; --preserve-digests: fail rather than re-encode,
  // so the registry's digest stays comparable with the cache's.
  await run('skopeo', [
    '--insecure-policy',
    'copy',
    '--quiet',
    '--preserve-digests',
    '--dest-tls-verify=false',
    `oci:${image.oci}:${recipe.tag}`,
    `docker://${image.reference}`,
  ]);
  const pushed = await registryDigest(recipe.repository, recipe.tag);
  if (pushed !== image.digest) {
    throw new Internal(`registry reports ${pushed ?? 'no manifest'} for ${image.reference}, expected ${image.digest}`);
  }
  return true;
}

/** Used by status: what the cache holds for a recipe without building anything. */
export async function cacheState(recipe: ImageRecipe): Promise<{ hash: string; cached: CachedImage | undefined }> {
  const hash = await recipeHash(recipe);
  return { hash, cached: findCached(recipe, hash) };
}
