/**
 * The test variant of the runner image: what the official runner image (`ghcr.io/actions/actions-runner`) has that
 * the stand-in and the hooks rely on — a Node.js under the runner's externals, `/home/runner/externals/node20/bin/node`
 * (actions/runner src/Runner.Common/Util/NodeUtil.cs `_defaultNodeVersion = "node20"`; HostContext.cs
 * GetDefaultShellForScript runs a `.js` hook with `<externals>/node20/bin/node`), on a busybox base. The Node.js is
 * the one this machine runs (a glibc build like the runner's), with the shared libraries it links, so the
 * controller's externals copy (`copyExternals`) hands JavaScript actions a real `/__e/node20/bin/node`. `node` on
 * PATH is the same binary: the pod's command is `node /home/runner/eci-hooks/runner-stand-in.js`. The official image is
 * Ubuntu-based and has GNU tar, which the hooks use to keep a workload pod's work folder in step
 * (hooks/workspace-sync.ts); busybox's tar lacks its options, so this machine's GNU tar goes in as well.
 */
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, realpathSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { busybox } from '../../scripts/images/busybox.js';
import { DEFAULT_PATH, type ImageRecipe } from '../../scripts/images/recipe.js';
import { ensurePulled } from '../../scripts/lib/engine-pull.js';
import { ensureBuilt, ensurePushed } from '../../scripts/lib/image-cache.js';
import { run } from '../../scripts/lib/run.js';

/** Where the official runner image keeps its externals (the controller copies them from here). */
export const RUNNER_EXTERNALS = '/home/runner/externals';
export const EXTERNAL_NODE = `${RUNNER_EXTERNALS}/node20/bin/node`;

/** The shared libraries `ldd` lists for a binary (absolute paths, the program interpreter included). */
async function sharedLibraries(binary: string): Promise<string[]> {
  const out = await run('ldd', [binary]);
  return out
    .split('\n')
    .map((l) => /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(l)?.[1])
    .filter((p): p is string => !!p);
}

const digest = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

function runnerRecipe(node: string, tar: string, libs: string[]): ImageRecipe {
  return {
    name: 'runnerTest',
    repository: 'eci-virtual/runner-test',
    tag: 'latest',
    tools: busybox.tools,
    config: { env: [DEFAULT_PATH], cmd: ['node', '--version'], workingDir: '/home/runner' },
    async inputs() {
      return {
        ...(await busybox.inputs.call(busybox)),
        revision: 2,
        node: digest(node),
        tar: digest(tar),
        libs: Object.fromEntries(libs.map((l) => [l, digest(l)])),
        config: this.config,
      };
    },
    async buildRootfs(rootfs, ctx) {
      await busybox.buildRootfs(rootfs, ctx);
      const externalNode = join(rootfs, EXTERNAL_NODE);
      mkdirSync(dirname(externalNode), { recursive: true });
      copyFileSync(node, externalNode);
      chmodSync(externalNode, 0o755);
      mkdirSync(join(rootfs, 'usr/local/bin'), { recursive: true });
      symlinkSync(EXTERNAL_NODE, join(rootfs, 'usr/local/bin/node'));
      copyFileSync(tar, join(rootfs, 'usr/local/bin/tar'));
      chmodSync(join(rootfs, 'usr/local/bin/tar'), 0o755);
      for (const lib of libs) {
        const to = join(rootfs, lib);
        mkdirSync(dirname(to), { recursive: true });
        if (!existsSync(to)) copyFileSync(realpathSync(lib), to);
      }
      mkdirSync(join(rootfs, 'home/runner/_work'), { recursive: true });
    },
  };
}

/** Builds (cached by content), pushes and pre-pulls the runner test image; returns its reference. */
export async function ensureTestRunnerImage(log: (msg: string) => void = () => undefined): Promise<string> {
  const node = realpathSync(process.execPath);
  const tar = realpathSync((await run('sh', ['-c', 'command -v tar'])).trim());
  const libs = [...new Set([...(await sharedLibraries(node)), ...(await sharedLibraries(tar))])];
  const image = await ensureBuilt(runnerRecipe(node, tar, libs), log);
  await ensurePushed(image, log);
  await ensurePulled(image, log);
  return image.reference;
}
