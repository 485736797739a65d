/**
 * `eci-virtual/kaniko:<version>`: the kaniko executor laid out like the upstream image, for the job pod's optional
 * `kaniko` container (pod-builder.ts), which idles with `/busybox/sh` and shares the workspace at /__w.
 *
 * - /kaniko/executor — built from github.com/osscontainertools/kaniko (lib/go-tools.ts), static.
 * - /busybox/ — static busybox with one symlink per applet, flat (this image has no /bin). Every build must pass
 *   `--ignore-path=/busybox` (kaniko-args.ts does): kaniko empties `/` for each stage and with `--cleanup`, keeping
 *   only /kaniko, mounts and ignored paths — without it the idle shell and `sleep` of the pod's kaniko container
 *   would be deleted by the first build. PATH includes /busybox.
 * - /kaniko/.docker/ (DOCKER_CONFIG) for registry credentials, /kaniko/ssl/certs (SSL_CERT_DIR) with the host's CA
 *   bundle.
 *
 * Everything the container needs after a build lives under /kaniko or /busybox, the two paths a build keeps. The
 * working directory is `/` (not upstream's /workspace): `--cleanup` deletes /workspace, and an exec whose working
 * directory is gone fails to start. It runs as root inside its container but needs neither privileges nor host
 * mounts.
 */
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MissingTool } from '@eci-virtual/contract';
import { ensureKanikoExecutor, GO_TOOLS } from '../lib/go-tools.js';
import { run } from '../lib/run.js';
import type { ImageRecipe } from './recipe.js';

const BUSYBOX = '/bin/busybox';
const CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

export const kaniko: ImageRecipe = {
  name: 'kaniko',
  repository: 'eci-virtual/kaniko',
  tag: GO_TOOLS.kaniko.version,
  tools: ['busybox'],
  config: {
    env: [
      'PATH=/usr/local/bin:/kaniko:/busybox',
      'HOME=/root',
      'USER=root',
      'DOCKER_CONFIG=/kaniko/.docker/',
      'SSL_CERT_DIR=/kaniko/ssl/certs',
    ],
    entrypoint: ['/kaniko/executor'],
    cmd: [],
    workingDir: '/',
  },

  // The executor is named by its module version and build flags, not its bytes: reading them would mean building
  // it, and `yarn engine status` must not build anything.
  async inputs() {
    for (const [path, pkg] of [
      [BUSYBOX, 'busybox-static'],
      [CA_BUNDLE, 'ca-certificates'],
    ] as const) {
      if (!existsSync(path)) {
        throw new MissingTool(`${path} not found (needed for the kaniko image)`, { hint: `apt-get install -y ${pkg}` });
      }
    }
    const { module, version, ldflags } = GO_TOOLS.kaniko;
    return {
      revision: 1,
      executor: { module, version, ldflags },
      busybox: sha256(BUSYBOX),
      caBundle: sha256(CA_BUNDLE),
      config: this.config,
    };
  },

  async buildRootfs(rootfs, ctx) {
    const executor = await ensureKanikoExecutor(ctx.log);
    const p = (rel: string) => join(rootfs, rel);
    for (const dir of ['kaniko/.docker', 'kaniko/ssl/certs', 'busybox', 'etc', 'root', 'tmp']) {
      mkdirSync(p(dir), { recursive: true });
    }
    chmodSync(p('tmp'), 0o1777);
    chmodSync(p('root'), 0o700);
    copyFileSync(executor, p('kaniko/executor'));
    chmodSync(p('kaniko/executor'), 0o755);
    copyFileSync(CA_BUNDLE, p('kaniko/ssl/certs/ca-certificates.crt'));
    // An empty credentials file: anonymous pulls and pushes; a job adds auths for its own registry if it needs to.
    writeFileSync(p('kaniko/.docker/config.json'), '{"auths":{}}\n');
    copyFileSync(BUSYBOX, p('busybox/busybox'));
    chmodSync(p('busybox/busybox'), 0o755);
    // `--list` gives bare applet names; all of them go flat into /busybox (no /bin in this image).
    const applets = (await run(BUSYBOX, ['--list'])).split('\n').filter((a) => a && a !== 'busybox');
    for (const applet of applets) symlinkSync('busybox', p(`busybox/${applet}`));
    // Go's resolver consults nsswitch.conf for the order of /etc/hosts and DNS (the pod's host aliases live in hosts).
    writeFileSync(p('etc/nsswitch.conf'), 'hosts: files dns\n');
  },
};
