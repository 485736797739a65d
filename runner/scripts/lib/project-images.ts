/**
 * Builds the project's own images (eci-virtual: controller + virtual node; hooks + step agent) daemonlessly with
 * buildah and pushes them, tagged with the chart's appVersion. The context is assembled here: the esbuild bundles,
 * the static step agent, this machine's Node.js binary with the shared libraries `ldd` reports, and the CA bundle.
 */
import { copyFileSync, mkdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { InvalidInput, MissingTool } from '@eci-virtual/contract';
import { ensureAgent } from './agent-build.js';
import { buildBundle } from './bundle.js';
import { localDir, repoRoot } from './paths.js';
import { run } from './run.js';

export function chartAppVersion(): string {
  const chart = parse(readFileSync(join(repoRoot, 'helm', 'eci-virtual', 'Chart.yaml'), 'utf8')) as {
    appVersion?: unknown;
  };
  if (typeof chart.appVersion !== 'string' || !chart.appVersion)
    throw new InvalidInput('helm/eci-virtual/Chart.yaml has no appVersion');
  return chart.appVersion;
}

async function runtimeFiles(): Promise<string[]> {
  const node = realpathSync(process.execPath);
  const out = await run('ldd', [node]);
  const libs = [...out.matchAll(/(\/\S+\.so[.\d]*)/g)].map((m) => m[1]!);
  return [node, ...new Set(libs)];
}

/**
 * The one package the bundle loads at run time: SQLite as WebAssembly (controller/history/sqlite-driver.ts), whose
 * .wasm sits beside its JavaScript; it goes to /app/node_modules, where the bundle's require finds it.
 */
function runtimePackages(): [string, string][] {
  const main = createRequire(join(repoRoot, 'runner', 'package.json')).resolve('node-sqlite3-wasm');
  const pkg = dirname(dirname(main));
  return ['package.json', 'dist/node-sqlite3-wasm.js', 'dist/node-sqlite3-wasm.wasm'].map((f): [string, string] => [
    join(pkg, f),
    `/app/node_modules/node-sqlite3-wasm/${f}`,
  ]);
}

function stage(files: [string, string][], root: string): void {
  for (const [from, to] of files) {
    mkdirSync(dirname(join(root, to)), { recursive: true });
    copyFileSync(from, join(root, to));
  }
}

export interface ProjectImages {
  app: string;
  hooks: string;
}

/** Builds and pushes `<registry>/eci-virtual/{eci-virtual,eci-virtual-hooks}:<appVersion>`; returns the references. */
export async function buildProjectImages(opts: {
  registry: string;
  baseImage: string;
  log: (m: string) => void;
}): Promise<ProjectImages> {
  for (const tool of ['buildah', 'ldd'])
    if ((await run('sh', ['-c', `command -v ${tool}`]).catch(() => undefined)) === undefined)
      throw new MissingTool(`${tool} is needed to build the project images`, { hint: 'apt-get install -y buildah' });
  await buildBundle();
  const version = chartAppVersion();
  const ctx = join(localDir, 'image-context');
  rmSync(ctx, { recursive: true, force: true });
  const rootfs = join(ctx, 'rootfs');
  const [node, ...libs] = await runtimeFiles();
  stage(
    [
      [node!, '/usr/local/bin/node'],
      ...libs.map((l): [string, string] => [realpathSync(l), l]),
      ['/etc/ssl/certs/ca-certificates.crt', '/etc/ssl/certs/ca-certificates.crt'],
      [join(repoRoot, 'runner', 'dist', 'eci-virtual.mjs'), '/app/eci-virtual.mjs'],
      ...runtimePackages(),
    ],
    rootfs,
  );
  stage(
    [
      [join(repoRoot, 'runner', 'dist', 'hooks', 'index.js'), '/index.js'],
      [join(repoRoot, 'runner', 'dist', 'hooks', 'package.json'), '/package.json'],
    ],
    join(ctx, 'hooks'),
  );
  stage([[await ensureAgent(opts.log), '/eci-agent']], join(ctx, 'agent'));
  const refs = {
    app: `${opts.registry}/eci-virtual/eci-virtual:${version}`,
    hooks: `${opts.registry}/eci-virtual/eci-virtual-hooks:${version}`,
  };
  const storage = [
    '--storage-driver',
    'vfs',
    '--root',
    join(localDir, 'buildah', 'storage'),
    '--runroot',
    join(localDir, 'buildah', 'run'),
  ];
  for (const [ref, file] of [
    [refs.app, 'eci-virtual.Dockerfile'],
    [refs.hooks, 'hooks.Dockerfile'],
  ] as const) {
    const started = Date.now();
    await run('buildah', [
      ...storage,
      'build',
      '--quiet',
      '--isolation',
      'chroot',
      '--tls-verify=false',
      '--build-arg',
      `BASE=${opts.baseImage}`,
      '-f',
      join(repoRoot, 'runner', 'images', file),
      '-t',
      ref,
      ctx,
    ]);
    await run('buildah', [...storage, 'push', '--quiet', '--tls-verify=false', ref, `docker://${ref}`]);
    opts.log(`built and pushed ${ref} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  return refs;
}
