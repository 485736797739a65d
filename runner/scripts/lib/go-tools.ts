/**
 * Go tools the project builds from their modules through the Go module proxy (no GitHub downloads here), cached
 * per version under ~/.cache/eci-virtual/bin/<tool>-<version>/. Other scripts ask for a path (`ensureHelm()`,
 * `ensureKanikoExecutor()`); the first call on a machine builds, later calls only check that the file exists.
 * `yarn tsx runner/scripts/build/go-tools.ts [helm|kaniko|all|paths]` does the same from a shell.
 *
 * Why a throw-away consumer module instead of `go install pkg@version`: `go install` also looks up the module's
 * deprecation notice, which reads `@v/list` — and the proxy answers 403 for that on some modules here
 * (osscontainertools/kaniko), failing the whole install although the version itself downloads fine.
 */
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MissingTool } from '@eci-virtual/contract';
import { withLock } from './lock.js';
import { cacheDir } from './paths.js';
import { run } from './run.js';

export const HELM_VERSION = process.env.HELM_VERSION ?? 'v4.2.1';
/**
 * v1.28.x (the current line upstream) is not served by the module proxy here ("This module version is not
 * available", 403); v1.27.5 is the newest that downloads.
 */
export const KANIKO_VERSION = process.env.KANIKO_VERSION ?? 'v1.27.5';

export interface GoTool {
  /** Cache directory prefix: bin/<name>-<version>/. */
  name: string;
  version: string;
  /** The module to require (its version is `version`). */
  module: string;
  /** The main package inside the module. */
  pkg: string;
  /** File name of the built binary. */
  binary: string;
  ldflags: string;
}

export const GO_TOOLS = {
  /** helm with its version stamped, so `helm version` and chart kubeVersion checks are sane. */
  helm: {
    name: 'helm',
    version: HELM_VERSION,
    module: 'helm.sh/helm/v4',
    pkg: 'helm.sh/helm/v4/cmd/helm',
    binary: 'helm',
    ldflags: `-X helm.sh/helm/v4/internal/version.version=${HELM_VERSION}`,
  },
  /**
   * The kaniko executor (Google's repository is archived; osscontainertools is the maintained fork). Stripped: it is
   * copied into the kaniko image, where size matters. It rewrites `/` — run it only inside a container.
   */
  kaniko: {
    name: 'kaniko',
    version: KANIKO_VERSION,
    module: 'github.com/osscontainertools/kaniko',
    pkg: 'github.com/osscontainertools/kaniko/cmd/executor',
    binary: 'executor',
    ldflags: `-s -w -X github.com/osscontainertools/kaniko/pkg/version.version=${KANIKO_VERSION}`,
  },
} as const satisfies Record<string, GoTool>;

export type GoToolName = keyof typeof GO_TOOLS;

/** Where the cached binary is (or will be); does not build. */
export function goToolPath(tool: GoTool): string {
  return join(cacheDir, 'bin', `${tool.name}-${tool.version}`, tool.binary);
}

/** Returns the cached binary, building it first (static, CGO_ENABLED=0) when this version was never built here. */
export async function ensureGoTool(tool: GoTool, log: (msg: string) => void = () => undefined): Promise<string> {
  const bin = goToolPath(tool);
  if (existsSync(bin)) return bin;
  const dir = join(cacheDir, 'bin', `${tool.name}-${tool.version}`);
  return withLock(
    `${dir}.lock`,
    async () => {
      if (existsSync(bin)) return bin;
      if ((await run('sh', ['-c', 'command -v go']).catch(() => '')) === '')
        throw new MissingTool(`go is needed to build ${tool.name} ${tool.version}`, {
          hint: 'install Go 1.26+ (go.dev or your package manager)',
        });
      const started = Date.now();
      log(`building ${tool.pkg}@${tool.version} (a few minutes the first time)`);
      const src = join(cacheDir, 'src', `${tool.name}-${tool.version}`);
      mkdirSync(src, { recursive: true });
      writeFileSync(
        join(src, 'go.mod'),
        `module eci-virtual.local/${tool.name}-build\n\ngo 1.26\n\nrequire ${tool.module} ${tool.version}\n`,
      );
      const env = { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-mod=mod -buildvcs=false' };
      const inSrc = { env, cwd: src };
      // `go get` fills go.mod/go.sum with the package's dependencies at the versions the tool itself pins.
      await run('go', ['get', `${tool.pkg}@${tool.version}`], inSrc);
      const partial = `${dir}.partial`;
      rmSync(partial, { recursive: true, force: true });
      mkdirSync(partial, { recursive: true });
      await run(
        'go',
        ['build', '-trimpath', '-ldflags', tool.ldflags, '-o', join(partial, tool.binary), tool.pkg],
        inSrc,
      );
      rmSync(dir, { recursive: true, force: true });
      renameSync(partial, dir);
      log(`built ${tool.name} ${tool.version} in ${((Date.now() - started) / 1000).toFixed(0)} s: ${bin}`);
      return bin;
    },
    { timeoutMs: 30 * 60_000, log, what: `building ${tool.name}` },
  );
}

export const ensureHelm = (log?: (msg: string) => void): Promise<string> => ensureGoTool(GO_TOOLS.helm, log);

/** The kaniko executor binary for the kaniko image (runner/scripts/images/kaniko.ts). */
export const ensureKanikoExecutor = (log?: (msg: string) => void): Promise<string> =>
  ensureGoTool(GO_TOOLS.kaniko, log);
