/**
 * `eci-virtual/env-echo:<hash>`: a "distroless" service image for the tests — one static Go binary (env-echo/,
 * CGO_ENABLED=0) in an otherwise empty image (no shell, no libc), ENTRYPOINT `/env-echo`, CMD `-port 7070`. Every
 * TCP connection gets the service's environment back, so a step can check that a held service started with the
 * runner's evaluated env. The binary is cached in ~/.cache/eci-virtual/env-echo/<hash>/ (hash of its sources and the
 * Go version), the image in the image cache, and it is pushed to the local registry under the hash as its tag.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Internal } from '@eci-virtual/contract';
import type { ImageRecipe } from '../../scripts/images/recipe.js';
import { goBuildEnv } from '../../scripts/lib/agent-build.js';
import { ensureBuilt, ensurePushed } from '../../scripts/lib/image-cache.js';
import { withLock } from '../../scripts/lib/lock.js';
import { cacheDir, repoRoot } from '../../scripts/lib/paths.js';

const run = promisify(execFile);
const source = join(repoRoot, 'runner', 'test', 'harness', 'env-echo');
export const ENV_ECHO_PORT = 7070;

async function binaryHash(): Promise<string> {
  const h = createHash('sha256').update((await run('go', ['version'], { env: goBuildEnv() })).stdout);
  for (const f of ['go.mod', 'main.go']) h.update(`${f}\n`).update(readFileSync(join(source, f)));
  return h.digest('hex').slice(0, 16);
}

async function ensureBinary(hash: string, log: (msg: string) => void): Promise<string> {
  const dir = join(cacheDir, 'env-echo', hash);
  const bin = join(dir, 'env-echo');
  if (existsSync(bin)) return bin;
  return withLock(
    `${dir}.lock`,
    async () => {
      if (existsSync(bin)) return bin;
      log('building env-echo (runner/test/harness/env-echo)');
      const partial = `${dir}.partial`;
      rmSync(partial, { recursive: true, force: true });
      mkdirSync(partial, { recursive: true });
      try {
        await run('go', ['build', '-trimpath', '-ldflags', '-s -w', '-o', join(partial, 'env-echo'), '.'], {
          cwd: source,
          env: goBuildEnv(),
        });
      } catch (err) {
        throw new Internal(`go build of env-echo failed: ${((err as { stderr?: string }).stderr ?? '').trim()}`);
      }
      renameSync(partial, dir);
      return bin;
    },
    { timeoutMs: 5 * 60_000, log, what: 'building env-echo' },
  );
}

/** Builds (once per source hash) and pushes the image; returns its reference in the local registry. */
export async function ensureEnvEchoImage(log: (msg: string) => void = () => undefined): Promise<string> {
  const hash = await binaryHash();
  const binary = await ensureBinary(hash, log);
  const recipe: ImageRecipe = {
    name: 'envEcho',
    repository: 'eci-virtual/env-echo',
    tag: hash,
    tools: [],
    config: { env: [], entrypoint: ['/env-echo'], cmd: ['-port', String(ENV_ECHO_PORT)], workingDir: '/' },
    async inputs() {
      return { revision: 1, binary: hash, config: this.config };
    },
    async buildRootfs(rootfs) {
      copyFileSync(binary, join(rootfs, 'env-echo'));
      chmodSync(join(rootfs, 'env-echo'), 0o755);
    },
  };
  const image = await ensureBuilt(recipe, log);
  await ensurePushed(image, log);
  return image.reference;
}
