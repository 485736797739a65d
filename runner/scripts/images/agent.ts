/**
 * `eci-virtual/agent:latest`: nothing but the static step agent (runner/agent, built by lib/agent-build.ts) at
 * AGENT.imageBinary — the image `eci-virtual run --agent-image` installs into every job pod with an init container
 * (`eci-agent install`, no shell needed). A few MB to pull per pod instead of the hooks image's busybox and bundle.
 */
import { chmodSync, copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AGENT } from '@eci-virtual/contract';
import { agentBuildHash, ensureAgent } from '../lib/agent-build.js';
import { DEFAULT_PATH, type ImageRecipe } from './recipe.js';

export const agentImage: ImageRecipe = {
  name: 'agent',
  repository: 'eci-virtual/agent',
  tag: 'latest',
  tools: [],
  config: { env: [DEFAULT_PATH], cmd: [AGENT.imageBinary, 'version'], workingDir: '/' },

  async inputs() {
    // The build hash covers the agent's sources, go.mod and the Go version.
    return { revision: 1, agent: await agentBuildHash(), binary: AGENT.imageBinary, config: this.config };
  },

  async buildRootfs(rootfs, ctx) {
    const binary = await ensureAgent(ctx.log);
    // The mount points a runtime may expect; the agent itself needs none of them.
    for (const dir of ['dev', 'proc', 'sys', 'tmp', 'etc']) mkdirSync(join(rootfs, dir), { recursive: true });
    chmodSync(join(rootfs, 'tmp'), 0o1777);
    const target = join(rootfs, AGENT.imageBinary);
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(binary, target);
    chmodSync(target, 0o755);
  },
};
