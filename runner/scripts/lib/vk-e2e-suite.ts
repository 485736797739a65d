/**
 * The upstream virtual-kubelet end-to-end suite (github.com/virtual-kubelet/virtual-kubelet/test/e2e) as one test
 * binary, compiled with `go test -c` from our thin wrapper (runner/scripts/build/vk-e2e/suite_test.go) and cached
 * under ~/.cache/eci-virtual/bin/vk-e2e-<version>-<wrapper hash>/. The module comes through the Go module proxy that
 * `go env GOPROXY` names (a throw-away consumer module, as for the Go tools in go-tools.ts); later calls only check
 * that the file exists. `yarn tsx runner/scripts/build/vk-e2e.ts [build|path]` does the same from a shell.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MissingTool } from '@eci-virtual/contract';
import { withLock } from './lock.js';
import { cacheDir, scriptsDir } from './paths.js';
import { run } from './run.js';

/** The newest release the module proxy serves here. */
export const VK_E2E_VERSION = process.env.VK_E2E_VERSION ?? 'v1.14.1';
export const VK_E2E_MODULE = 'github.com/virtual-kubelet/virtual-kubelet';

const wrapperDir = join(scriptsDir, 'build', 'vk-e2e');
const WRAPPER = 'suite_test.go';

function wrapperHash(): string {
  return createHash('sha256')
    .update(readFileSync(join(wrapperDir, WRAPPER)))
    .digest('hex')
    .slice(0, 12);
}

/** Where the compiled suite is (or will be); builds nothing. */
export function vkE2eSuitePath(version = VK_E2E_VERSION): string {
  return join(cacheDir, 'bin', `vk-e2e-${version}-${wrapperHash()}`, 'vk-e2e.test');
}

/** Returns the compiled suite, building it first when this version and wrapper were never built on this machine. */
export async function ensureVkE2eSuite(
  log: (msg: string) => void = () => undefined,
  version = VK_E2E_VERSION,
): Promise<string> {
  const bin = vkE2eSuitePath(version);
  if (existsSync(bin)) return bin;
  const dir = join(bin, '..');
  return withLock(
    `${dir}.lock`,
    async () => {
      if (existsSync(bin)) return bin;
      if ((await run('sh', ['-c', 'command -v go']).catch(() => '')) === '')
        throw new MissingTool(`go is needed to build the virtual-kubelet e2e suite ${version}`, {
          hint: 'install Go 1.26+ (go.dev or your package manager)',
        });
      const started = Date.now();
      log(`building the virtual-kubelet e2e suite ${version} (a few minutes the first time)`);
      const src = join(cacheDir, 'src', `vk-e2e-${version}`);
      rmSync(src, { recursive: true, force: true });
      mkdirSync(src, { recursive: true });
      writeFileSync(
        join(src, 'go.mod'),
        `module eci-virtual.local/vk-e2e\n\ngo 1.26\n\nrequire ${VK_E2E_MODULE} ${version}\n`,
      );
      copyFileSync(join(wrapperDir, WRAPPER), join(src, WRAPPER));
      const env = { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-mod=mod -buildvcs=false' };
      // `go get` fills go.sum with the suite's dependencies at the versions the suite's own go.mod pins.
      await run('go', ['get', `${VK_E2E_MODULE}/test/e2e@${version}`], { env, cwd: src });
      const partial = `${dir}.partial`;
      rmSync(partial, { recursive: true, force: true });
      mkdirSync(partial, { recursive: true });
      await run('go', ['test', '-c', '-trimpath', '-o', join(partial, 'vk-e2e.test'), '.'], { env, cwd: src });
      rmSync(dir, { recursive: true, force: true });
      renameSync(partial, dir);
      log(`built the virtual-kubelet e2e suite ${version} in ${((Date.now() - started) / 1000).toFixed(0)} s: ${bin}`);
      return bin;
    },
    { timeoutMs: 30 * 60_000, log, what: 'building the virtual-kubelet e2e suite' },
  );
}
