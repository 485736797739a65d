/**
 * `eci-virtual/busybox:latest`: Debian's static busybox with a symlink per applet — a ~2 MB image that starts in
 * milliseconds, for tests that only need a shell.
 */
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { MissingTool } from '@eci-virtual/contract';
import { run } from '../lib/run.js';
import { DEFAULT_PATH, type ImageRecipe } from './recipe.js';

const BUSYBOX = '/bin/busybox';

/**
 * Debian's dynamic `busybox` package installs the same path and would produce an image without its libc, so check
 * for an ELF program interpreter (PT_INTERP): a static binary has none.
 */
function isStaticElf(path: string): boolean {
  const elf = readFileSync(path);
  if (elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2) return false; // ELF, 64-bit
  const phoff = Number(elf.readBigUInt64LE(0x20));
  const phentsize = elf.readUInt16LE(0x36);
  const phnum = elf.readUInt16LE(0x38);
  for (let i = 0; i < phnum; i++) if (elf.readUInt32LE(phoff + i * phentsize) === 3) return false;
  return true;
}

export const busybox: ImageRecipe = {
  name: 'busybox',
  repository: 'eci-virtual/busybox',
  tag: 'latest',
  tools: ['busybox'],
  config: { env: [DEFAULT_PATH], cmd: ['sh'], workingDir: '/' },

  async inputs() {
    if (!existsSync(BUSYBOX)) {
      throw new MissingTool(`${BUSYBOX} not found (needed for the busybox test image)`, {
        hint: 'apt-get install -y busybox-static',
      });
    }
    return {
      revision: 1,
      busybox: createHash('sha256').update(readFileSync(BUSYBOX)).digest('hex'),
      config: this.config,
    };
  },

  async buildRootfs(rootfs) {
    if (!isStaticElf(BUSYBOX)) {
      throw new MissingTool(`${BUSYBOX} is not statically linked`, { hint: 'apt-get install -y busybox-static' });
    }
    for (const dir of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc', 'root', 'tmp', 'var/tmp', 'dev', 'proc', 'sys']) {
      mkdirSync(join(rootfs, dir), { recursive: true });
    }
    chmodSync(join(rootfs, 'tmp'), 0o1777);
    chmodSync(join(rootfs, 'var/tmp'), 0o1777);
    chmodSync(join(rootfs, 'root'), 0o700);
    copyFileSync(BUSYBOX, join(rootfs, 'bin/busybox'));
    chmodSync(join(rootfs, 'bin/busybox'), 0o755);
    // --list-full gives each applet's conventional location (bin/sh, usr/bin/env, sbin/ip, ...).
    const applets = (await run(BUSYBOX, ['--list-full'])).split('\n').filter(Boolean);
    for (const applet of applets) {
      if (applet === 'bin/busybox') continue;
      mkdirSync(dirname(join(rootfs, applet)), { recursive: true });
      symlinkSync('/bin/busybox', join(rootfs, applet));
    }
    writeFileSync(
      join(rootfs, 'etc/passwd'),
      'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n',
    );
    writeFileSync(join(rootfs, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
  },
};
