/**
 * `eci-virtual/hooks:<version>`: busybox plus our container hooks bundle under /eci-hooks and the step agent at
 * AGENT.imageBinary. Job pods run it twice as an init container: `eci-agent install` onto the pod's agent volume, and
 * the copy of /eci-hooks into the runner container (ACTIONS_RUNNER_CONTAINER_HOOKS), so the official runner image is
 * used unmodified. `files` lets tests add the runner stand-in to the hooks folder.
 */
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { AGENT } from '@eci-virtual/contract';
import { busybox } from './busybox.js';
import { DEFAULT_PATH, type ImageRecipe } from './recipe.js';

export function hooksRecipe(opts: {
  name: string;
  repository: string;
  tag: string;
  files: string[];
  /** The built step agent (lib/agent-build.ts ensureAgent()). */
  agent: string;
}): ImageRecipe {
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
        revision: 2,
        files: Object.fromEntries(opts.files.map((f) => [basename(f), digest(f)])),
        agent: digest(opts.agent),
        config: this.config,
      };
    },
    async buildRootfs(rootfs, ctx) {
      await busybox.buildRootfs(rootfs, ctx);
      mkdirSync(join(rootfs, 'eci-hooks'), { recursive: true });
      for (const f of opts.files) copyFileSync(f, join(rootfs, 'eci-hooks', basename(f)));
      const agent = join(rootfs, AGENT.imageBinary);
      mkdirSync(dirname(agent), { recursive: true });
      copyFileSync(opts.agent, agent);
      chmodSync(agent, 0o755);
    },
  };
}
