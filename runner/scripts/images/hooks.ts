/**
 * `eci-virtual/hooks:<version>`: busybox plus our container hooks bundle under /eci-hooks. Job pods run it as an
 * init container that copies /eci-hooks into the runner container (ACTIONS_RUNNER_CONTAINER_HOOKS), so the official
 * runner image is used unmodified. `extraFiles` lets tests add the runner stand-in to the same folder.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { busybox } from './busybox.js';
import { DEFAULT_PATH, type ImageRecipe } from './recipe.js';

export function hooksRecipe(opts: { name: string; repository: string; tag: string; files: string[] }): ImageRecipe {
  const digest = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
  return {
    name: opts.name,
    repository: opts.repository,
    tag: opts.tag,
    tools: busybox.tools,
    config: {
      env: [DEFAULT_PATH],
      cmd: ['/bin/sh', '-c', 'cp -R /eci-hooks/. "${1:-/target}"/', 'copy-hooks'],
      workingDir: '/',
    },
    async inputs() {
      return {
        ...(await busybox.inputs.call(busybox)),
        revision: 1,
        files: Object.fromEntries(opts.files.map((f) => [basename(f), digest(f)])),
        config: this.config,
      };
    },
    async buildRootfs(rootfs, ctx) {
      await busybox.buildRootfs(rootfs, ctx);
      mkdirSync(join(rootfs, 'eci-hooks'), { recursive: true });
      for (const f of opts.files) copyFileSync(f, join(rootfs, 'eci-hooks', basename(f)));
    },
  };
}
