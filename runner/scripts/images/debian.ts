/**
 * `eci-virtual/debian:bookworm`: the default job image — `debootstrap --variant=minbase` plus what GitHub Actions
 * steps and JS actions expect (bash, git, curl, CA certificates, Debian's nodejs). Docs, man pages and locales are
 * dropped (and excluded for later installs) to keep it lean.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeError, Forbidden, Internal } from '@eci-virtual/contract';
import { debianMirror } from '../lib/debian-mirror.js';
import { unmountAll } from '../lib/mounts.js';
import { run } from '../lib/run.js';
import { DEFAULT_PATH, type ImageRecipe } from './recipe.js';

const SUITE = 'bookworm';
const PACKAGES = ['bash', 'ca-certificates', 'curl', 'git', 'nodejs'];

/** Same rules as Debian's "slim" images: later `apt-get install`s inside the job stay lean too. */
const DPKG_SLIM = `path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/lintian/*
`;

function emptyDir(dir: string, keep: (name: string) => boolean = () => false): void {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) if (!keep(name)) rmSync(join(dir, name), { recursive: true, force: true });
}

const dpkgArch = (): string => ({ x64: 'amd64', arm64: 'arm64' })[process.arch as 'x64' | 'arm64'] ?? process.arch;

export const debian: ImageRecipe = {
  name: 'debian',
  repository: 'eci-virtual/debian',
  tag: SUITE,
  tools: ['debootstrap'],
  config: { env: [DEFAULT_PATH, 'LANG=C.UTF-8'], cmd: ['bash'], workingDir: '/' },

  // The mirror is left out on purpose: any mirror of the suite yields the same image.
  async inputs() {
    return { revision: 1, suite: SUITE, variant: 'minbase', arch: dpkgArch(), packages: PACKAGES, config: this.config };
  },

  async buildRootfs(rootfs, ctx) {
    if (process.getuid?.() !== 0) {
      throw new Forbidden('building the debian image needs root (debootstrap chroots and creates device nodes)', {
        hint: 'run `yarn engine up` as root once; the image is cached in ~/.cache/eci-virtual/images afterwards',
      });
    }
    const mirror = debianMirror(SUITE);
    // debootstrap keeps downloaded .debs here, so a recipe change does not download everything again.
    const debs = join(ctx.downloadCache, `debootstrap-${SUITE}-${dpkgArch()}`);
    mkdirSync(debs, { recursive: true });
    ctx.log(`debootstrap --variant=minbase ${SUITE} from ${mirror} (takes a few minutes the first time)`);
    const args = [
      '--variant=minbase',
      `--arch=${dpkgArch()}`,
      `--include=${PACKAGES.join(',')}`,
      `--cache-dir=${debs}`,
      SUITE,
      rootfs,
      mirror,
    ];
    await run('debootstrap', args).catch((err: unknown) => {
      const log = join(rootfs, 'debootstrap/debootstrap.log');
      throw existsSync(log) ? new Internal(`${describeError(err)} — see ${log}`, { cause: err }) : err;
    });
    // debootstrap unmounts /proc and /sys itself on success; make sure before deleting files below the rootfs.
    await unmountAll(rootfs);
    slim(rootfs);
  },
};

/** Removes what a container image does not need and what would leak this host into it. */
function slim(rootfs: string): void {
  const p = (rel: string) => join(rootfs, rel);
  mkdirSync(p('etc/dpkg/dpkg.cfg.d'), { recursive: true });
  writeFileSync(p('etc/dpkg/dpkg.cfg.d/eci-virtual-slim'), DPKG_SLIM);
  for (const pkg of existsSync(p('usr/share/doc')) ? readdirSync(p('usr/share/doc')) : []) {
    emptyDir(p(`usr/share/doc/${pkg}`), (name) => name === 'copyright');
  }
  emptyDir(p('usr/share/man'));
  emptyDir(p('usr/share/info'));
  emptyDir(p('usr/share/lintian'));
  emptyDir(p('usr/share/locale'), (name) => name === 'locale.alias');
  emptyDir(p('var/cache/apt'), (name) => name === 'archives');
  emptyDir(p('var/cache/apt/archives'), (name) => name === 'partial');
  emptyDir(p('var/lib/apt/lists'), (name) => name === 'partial');
  emptyDir(p('var/log'));
  emptyDir(p('tmp'));
  // The runtime mounts /dev, /etc/hosts, /etc/resolv.conf and /etc/hostname; the host's copies must not ship.
  emptyDir(p('dev'));
  for (const f of ['etc/resolv.conf', 'etc/hostname']) writeFileSync(p(f), '');
}
