/**
 * `eci-virtual/http-service:latest`: busybox serving /www on port 8080 by default — a service container for demo and
 * test workflows (`services:` containers run their image's default command). `/www/index.html` says "pong".
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { busybox } from './busybox.js';
import { DEFAULT_PATH, type ImageRecipe } from './recipe.js';

export const httpService: ImageRecipe = {
  name: 'httpService',
  repository: 'eci-virtual/http-service',
  tag: 'latest',
  tools: busybox.tools,
  config: { env: [DEFAULT_PATH], cmd: ['httpd', '-f', '-v', '-p', '8080', '-h', '/www'], workingDir: '/www' },

  async inputs() {
    return { ...(await busybox.inputs.call(busybox)), revision: 1, service: 'httpd-8080', config: this.config };
  },

  async buildRootfs(rootfs, ctx) {
    await busybox.buildRootfs(rootfs, ctx);
    mkdirSync(join(rootfs, 'www'), { recursive: true });
    writeFileSync(join(rootfs, 'www', 'index.html'), 'pong\n');
  },
};
