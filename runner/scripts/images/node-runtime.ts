/**
 * `eci-virtual/node-runtime:<node version>`: the Node.js runtime a job pod of `eci-virtual run` brings along for
 * JavaScript actions, as the runner brings `externals/node20` (mounted at /__e in job containers,
 * src/Runner.Worker/Container/ContainerInfo.cs). The init container copies `/eci-node/.` onto the pod's externals
 * volume (pod-builder.ts nodeRuntimeImage), which gives the job container `/__e/node/bin/node`.
 *
 * The runtime is this host's node (stripped) with the shared libraries and the loader it links against, started
 * through that loader (`/__e/node/bin/node` is a launcher script), so it runs in any job image with /bin/sh whatever
 * its C library: debian, busybox, alpine. Busybox in the image makes the copy.
 */
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Internal, PATHS } from '@eci-virtual/contract';
import { NODE_RUNTIME_SOURCE } from '../../src/pod-assembly/pod-builder.js';
import { run } from '../lib/run.js';
import { busybox } from './busybox.js';
import { DEFAULT_PATH, type ImageRecipe } from './recipe.js';

/** Where the runtime is in the image, and below PATHS.externals in the pod. */
const SOURCE = NODE_RUNTIME_SOURCE;
const DIR = 'node';

/** The libraries (and the loader) `ldd` lists for a binary, as absolute paths. */
async function sharedLibraries(binary: string): Promise<{ libs: string[]; loader: string }> {
  const out = await run('ldd', [binary]);
  const libs: string[] = [];
  let loader = '';
  for (const line of out.split('\n')) {
    const arrow = /=>\s+(\/\S+)/.exec(line);
    if (arrow) libs.push(arrow[1]!);
    else if (/^\s*(\/\S*ld-linux\S*)/.test(line)) loader = /^\s*(\/\S+)/.exec(line)![1]!;
  }
  if (!loader) throw new Internal(`ldd ${binary} names no program loader: ${out}`);
  return { libs, loader };
}

/** The launcher: node through the runtime's own loader and libraries; argv[0] stays `node`. */
export function nodeLauncher(loader: string): string {
  const d = `${PATHS.externals}/${DIR}`;
  return `#!/bin/sh\nexec ${d}/lib/${loader} --library-path ${d}/lib --argv0 node ${d}/bin/node.bin "$@"\n`;
}

export const nodeRuntime: ImageRecipe = {
  name: 'nodeRuntime',
  repository: 'eci-virtual/node-runtime',
  tag: process.version.split('.')[0]!,
  tools: busybox.tools,
  config: {
    env: [DEFAULT_PATH],
    cmd: ['/bin/sh', '-c', `cp -R ${SOURCE}/. "$1"/`, 'copy-node', PATHS.externals],
    workingDir: '/',
  },

  async inputs() {
    return {
      ...(await busybox.inputs.call(busybox)),
      revision: 1,
      node: process.version,
      binary: createHash('sha256').update(readFileSync(process.execPath)).digest('hex'),
      config: this.config,
    };
  },

  async buildRootfs(rootfs, ctx) {
    await busybox.buildRootfs(rootfs, ctx);
    const root = join(rootfs, SOURCE.slice(1), DIR);
    mkdirSync(join(root, 'bin'), { recursive: true });
    mkdirSync(join(root, 'lib'), { recursive: true });
    const binary = join(root, 'bin', 'node.bin');
    await run('strip', ['-o', binary, process.execPath]);
    chmodSync(binary, 0o755);
    const { libs, loader } = await sharedLibraries(process.execPath);
    for (const lib of [...libs, loader]) copyFileSync(lib, join(root, 'lib', basename(lib)));
    chmodSync(join(root, 'lib', basename(loader)), 0o755);
    writeFileSync(join(root, 'bin', 'node'), nodeLauncher(basename(loader)));
    chmodSync(join(root, 'bin', 'node'), 0o755);
    ctx.log(`node-runtime: ${process.version} with ${libs.length} libraries and ${basename(loader)}`);
  },
};
