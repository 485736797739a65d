/**
 * Packages a root filesystem as a one-layer OCI image layout with umoci: `tar` makes the layer (numeric owners,
 * file capabilities kept), `umoci raw add-layer` appends it verbatim, `umoci config` sets how the image runs.
 * No daemon and no registry are involved; the result is copied to the registry by skopeo (image-cache.ts).
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Internal } from '@eci-virtual/contract';
import { RECIPE_LABEL, type ImageRecipe } from '../images/recipe.js';
import { run } from './run.js';

const ociArch = (): string => ({ x64: 'amd64', arm64: 'arm64' })[process.arch as 'x64' | 'arm64'] ?? process.arch;

interface OciIndex {
  manifests?: { digest: string; annotations?: Record<string, string> }[];
}

/** The manifest digest of `tag` in an OCI layout (what the registry reports after a digest-preserving copy). */
export function ociDigest(ociDir: string, tag: string): string | undefined {
  try {
    const index = JSON.parse(readFileSync(join(ociDir, 'index.json'), 'utf8')) as OciIndex;
    return index.manifests?.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag)?.digest;
  } catch {
    return undefined;
  }
}

export async function packageRootfs(rootfs: string, ociDir: string, recipe: ImageRecipe, hash: string) {
  const image = `${ociDir}:${recipe.tag}`;
  const layer = `${ociDir}.layer.tar`;
  const { config } = recipe;
  const labels = { ...config.labels, [RECIPE_LABEL]: hash };
  try {
    // --sort=name keeps the layer stable for identical trees; xattrs carry file capabilities (e.g. ping's).
    await run('tar', [
      '--create',
      `--file=${layer}`,
      `--directory=${rootfs}`,
      '--numeric-owner',
      '--sort=name',
      '--xattrs',
      '--xattrs-include=security.capability',
      '.',
    ]);
    await run('umoci', ['init', '--layout', ociDir]);
    await run('umoci', ['new', '--image', image]);
    await run('umoci', [
      'raw',
      'add-layer',
      '--image',
      image,
      `--history.created_by=eci-virtual ${recipe.name}`,
      layer,
    ]);
    await run('umoci', [
      'config',
      '--image',
      image,
      '--os=linux',
      `--architecture=${ociArch()}`,
      '--author=eci-virtual',
      ...config.env.map((e) => `--config.env=${e}`),
      ...(config.entrypoint ?? []).map((e) => `--config.entrypoint=${e}`),
      ...config.cmd.map((c) => `--config.cmd=${c}`),
      `--config.workingdir=${config.workingDir}`,
      ...Object.entries(labels).map(([k, v]) => `--config.label=${k}=${v}`),
    ]);
    await run('umoci', ['gc', '--layout', ociDir]);
  } finally {
    rmSync(layer, { force: true });
  }
  const digest = ociDigest(ociDir, recipe.tag);
  if (!digest) throw new Internal(`umoci produced no manifest for ${image}`);
  return digest;
}
