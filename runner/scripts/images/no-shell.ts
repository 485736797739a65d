/**
 * `eci-virtual/no-shell:latest`: an image without a shell — only Debian's static busybox, as `/bin/busybox`, with no
 * applet links: no `/bin/sh`, no `ln`, nothing a step wrapper could lean on. `busybox <applet> ...` still works, so a
 * test can run commands in it, but only by an argv that names the binary. For `docker://` steps through the step
 * agent (runner/agent), which needs nothing from the image.
 */
import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { busybox } from './busybox.js';
import { DEFAULT_PATH, type ImageRecipe } from './recipe.js';

export const noShell: ImageRecipe = {
  name: 'noShell',
  repository: 'eci-virtual/no-shell',
  tag: 'latest',
  tools: busybox.tools,
  config: { env: [DEFAULT_PATH], cmd: ['/bin/busybox', 'true'], workingDir: '/' },

  async inputs() {
    return { ...(await busybox.inputs.call(busybox)), revision: 1, shell: false, config: this.config };
  },

  async buildRootfs(rootfs) {
    for (const dir of ['bin', 'etc', 'tmp', 'dev', 'proc', 'sys']) mkdirSync(join(rootfs, dir), { recursive: true });
    chmodSync(join(rootfs, 'tmp'), 0o1777);
    copyFileSync('/bin/busybox', join(rootfs, 'bin/busybox'));
    chmodSync(join(rootfs, 'bin/busybox'), 0o755);
    writeFileSync(join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/:/bin/false\n');
    writeFileSync(join(rootfs, 'etc/group'), 'root:x:0:\n');
  },
};
