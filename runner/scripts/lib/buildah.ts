/**
 * Daemonless Dockerfile builds on the host with Debian's buildah (1.28): `--isolation chroot` (no runc, no user
 * namespace setup) and the vfs storage driver (no overlay mounts, works on any filesystem and inside containers), in
 * a storage of its own under `.local/buildah/` so the engine's store is never touched. Used for images that need a
 * real Dockerfile (the project's own controller/node images); test images with a fixed content use recipes instead
 * (images/recipe.ts), and builds inside job pods use kaniko.
 *
 *   const { digest } = await buildahBuildAndPush({ context: dir, ref: `${registryAddress()}/eci-virtual/x:1`,
 *     tlsVerify: false });
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { Internal, InvalidInput } from '@eci-virtual/contract';
import { localDir } from './paths.js';
import { run } from './run.js';
import { requireTools } from './tools.js';

export interface BuildahStorage {
  root: string;
  runroot: string;
}

/** Per checkout, next to the engine's state; `rm -rf .local/buildah` resets it (layers cached there are rebuilt). */
export const defaultBuildahStorage = (): BuildahStorage => ({
  root: join(localDir, 'buildah', 'storage'),
  runroot: join(localDir, 'buildah', 'run'),
});

export interface BuildahBuildOptions {
  /** Build context directory on the host. */
  context: string;
  /** Dockerfile path relative to the context (default `Dockerfile`). */
  dockerfile?: string;
  /** Reference the image is tagged as and pushed to (`docker://<ref>`). */
  ref: string;
  buildArgs?: Record<string, string>;
  /** false for plain-HTTP registries, for the FROM pulls as well as the push. Default true. */
  tlsVerify?: boolean;
  /** Also write the image as an OCI layout here (tag = the ref's tag), e.g. for a digest-preserving skopeo copy. */
  ociDir?: string;
  storage?: BuildahStorage;
  log?: (msg: string) => void;
}

export interface BuildahResult {
  ref: string;
  /** Manifest digest in the registry (buildah's --digestfile). */
  digest: string;
  seconds: number;
}

const tagOf = (ref: string): string => {
  const name = ref.split('@')[0]!;
  const colon = name.lastIndexOf(':');
  return colon > name.lastIndexOf('/') ? name.slice(colon + 1) : 'latest';
};

/** Builds `context` with buildah and pushes it to `ref`; returns the pushed manifest digest. */
export async function buildahBuildAndPush(opts: BuildahBuildOptions): Promise<BuildahResult> {
  requireTools(['buildah'], `build ${opts.ref}`);
  const context = resolve(opts.context);
  const dockerfile = resolve(context, opts.dockerfile ?? 'Dockerfile');
  if (relative(context, dockerfile).startsWith('..'))
    throw new InvalidInput(`dockerfile ${opts.dockerfile ?? ''} is outside the build context ${context}`);
  const storage = opts.storage ?? defaultBuildahStorage();
  mkdirSync(storage.root, { recursive: true });
  mkdirSync(storage.runroot, { recursive: true });
  const global = ['--storage-driver', 'vfs', '--root', storage.root, '--runroot', storage.runroot];
  const tls = `--tls-verify=${opts.tlsVerify ?? true}`;
  const started = Date.now();
  await run('buildah', [
    ...global,
    'build',
    '--quiet',
    '--isolation',
    'chroot',
    tls,
    ...Object.entries(opts.buildArgs ?? {}).flatMap(([k, v]) => ['--build-arg', `${k}=${v}`]),
    '-f',
    dockerfile,
    '-t',
    opts.ref,
    context,
  ]);
  if (opts.ociDir) {
    await run('buildah', [...global, 'push', '--quiet', opts.ref, `oci:${opts.ociDir}:${tagOf(opts.ref)}`]);
  }
  const digestFile = join(storage.runroot, `digest-${process.pid}-${Date.now()}`);
  try {
    await run('buildah', [
      ...global,
      'push',
      '--quiet',
      tls,
      '--digestfile',
      digestFile,
      opts.ref,
      `docker://${opts.ref}`,
    ]);
    const digest = readFileSync(digestFile, 'utf8').trim();
    if (!/^sha256:[a-f0-9]{64}$/.test(digest)) throw new Internal(`buildah push wrote no digest for ${opts.ref}`);
    const seconds = (Date.now() - started) / 1000;
    opts.log?.(`built and pushed ${opts.ref}@${digest} in ${seconds.toFixed(1)} s`);
    return { ref: opts.ref, digest, seconds };
  } finally {
    rmSync(digestFile, { force: true });
  }
}
