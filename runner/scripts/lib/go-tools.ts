/**
 * Go tools the project builds from their modules through the Go module proxy (no GitHub downloads here), cached
 * per version under ~/.cache/eci-virtual/bin/<tool>-<version>/.
 */
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { MissingTool } from '../../src/errors.js';
import { withLock } from './lock.js';
import { cacheDir } from './paths.js';
import { run } from './run.js';

export const HELM_VERSION = process.env.HELM_VERSION ?? 'v4.2.1';

async function goInstall(opts: {
  name: string;
  version: string;
  pkg: string;
  ldflags?: string;
  binary: string;
}): Promise<string> {
  const dir = join(cacheDir, 'bin', `${opts.name}-${opts.version}`);
  const bin = join(dir, opts.binary);
  if (existsSync(bin)) return bin;
  return withLock(
    `${dir}.lock`,
    async () => {
      if (existsSync(bin)) return bin;
      if ((await run('sh', ['-c', 'command -v go']).catch(() => '')) === '')
        throw new MissingTool(`go is needed to build ${opts.name} ${opts.version}`, {
          hint: 'apt-get install golang-go (1.24+)',
        });
      const partial = `${dir}.partial`;
      rmSync(partial, { recursive: true, force: true });
      mkdirSync(partial, { recursive: true });
      await run('go', ['install', ...(opts.ldflags ? ['-ldflags', opts.ldflags] : []), `${opts.pkg}@${opts.version}`], {
        env: { ...process.env, GOBIN: partial, CGO_ENABLED: '0', GOFLAGS: '-mod=mod' },
      });
      rmSync(dir, { recursive: true, force: true });
      renameSync(partial, dir);
      return bin;
    },
    { timeoutMs: 30 * 60_000, log: () => undefined, what: `building ${opts.name}` },
  );
}

/** helm built from helm.sh/helm/v4 with its version stamped (so `helm version` and kubeVersion checks are sane). */
export const ensureHelm = (): Promise<string> =>
  goInstall({
    name: 'helm',
    version: HELM_VERSION,
    pkg: 'helm.sh/helm/v4/cmd/helm',
    ldflags: `-X helm.sh/helm/v4/internal/version.version=${HELM_VERSION}`,
    binary: 'helm',
  });
