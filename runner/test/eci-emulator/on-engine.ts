/**
 * The ECI emulator with its container groups running as real pods on the local engine (BackendRuntime over the
 * docker backend), plus the flags and environment that point a virtual node (`--backend eci`) at it. Used by the
 * integration suite and the benchmarks. NFSVolume exports are directories of the emulator's state dir
 * (engineNfsExports), so groups that mount the same server:path share its files as they would on a NAS.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../src/observability/logger.js';
import { DockerBackend } from '../../src/virtual-node/backends/docker/docker-backend.js';
import type { EngineClient } from '../../src/virtual-node/backends/docker/engine-client.js';
import { LABEL, volumeName } from '../../src/virtual-node/backends/docker/labels.js';
import { BackendRuntime, type NfsExports } from './backend-runtime.js';
import type { Delays } from './groups.js';
import { EciEmulator, type EciEmulatorOptions } from './server.js';

export interface EmulatorOnEngine {
  emu: EciEmulator;
  /** `eci-virtual node` flags for this emulator. */
  nodeArgs: string[];
  /** The node's credentials (a random AccessKey pair the emulator accepts). */
  nodeEnv: Record<string, string>;
}

/** The directory that stands in for the export `server:path` under `root`: one per export, whatever the group. */
export function exportDir(root: string, nfs: { server: string; path: string }): string {
  const key = createHash('sha256').update(`${nfs.server}:${nfs.path}`).digest('hex').slice(0, 16);
  return join(root, `${nfs.server.replace(/[^A-Za-z0-9.-]/g, '_')}-${key}`);
}

/**
 * NFS exports on the engine, for the docker backend: before a pod is created, the engine volume the backend will
 * mount for the pod's NFS volume (`volumeName`) is created as a bind of the export's directory, labelled as the
 * backend labels its own. The backend's own create then gets that volume back (the engine answers a create of an
 * existing name with the existing volume), and its delete of the pod's volumes drops the bind, not the files.
 */
export function engineNfsExports(opts: {
  engine: Pick<EngineClient, 'json'>;
  /** The docker backend's node name (its volume label). */
  nodeName: string;
  /** Where the exports' directories live. */
  dir: string;
  /** Remove `dir` when the runtime closes (a temporary state dir). */
  removeOnClose?: boolean;
}): NfsExports {
  return {
    async attach(ref, volume, nfs) {
      const device = exportDir(opts.dir, nfs);
      await mkdir(device, { recursive: true });
      await chmod(device, 0o777); // an export any uid in the group may write, as the emptyDirs are
      await opts.engine.json('POST', '/volumes/create', {
        body: {
          Name: volumeName(ref, volume),
          Driver: 'local',
          DriverOpts: { type: 'none', o: 'bind', device },
          Labels: { [LABEL.node]: opts.nodeName, [LABEL.uid]: ref.uid, [LABEL.volume]: volume },
        },
      });
    },
    async close() {
      if (opts.removeOnClose) await rm(opts.dir, { recursive: true, force: true });
    },
  };
}

export async function startEmulatorOnEngine(opts: {
  dockerHost: string;
  infraImage: string;
  delays?: Partial<Delays>;
  cluster?: string;
  rateLimits?: EciEmulatorOptions['rateLimits'];
  /** The emulator's state (NFS exports); default: a temporary directory removed when the emulator stops. */
  stateDir?: string;
}): Promise<EmulatorOnEngine> {
  const key = randomAccessKey();
  const nodeName = `eci-emulator-${randomBytes(3).toString('hex')}`;
  const backend = new DockerBackend({
    host: opts.dockerHost,
    nodeName,
    infraImage: opts.infraImage,
    log: createLogger({ component: 'eci-emulator' }, { level: 'error' }),
  });
  const nfsDir = opts.stateDir ? join(opts.stateDir, 'nfs') : await mkdtemp(join(tmpdir(), 'eci-emulator-nfs-'));
  const emu = new EciEmulator({
    runtime: new BackendRuntime({
      backend,
      nfs: engineNfsExports({ engine: backend.engine, nodeName, dir: nfsDir, removeOnClose: !opts.stateDir }),
    }),
    accessKeys: { [key.id]: key.secret },
    ...(opts.delays ? { delays: opts.delays } : {}),
    ...(opts.rateLimits ? { rateLimits: opts.rateLimits } : {}),
  });
  await emu.start();
  return { emu, ...eciNodeFlags(emu, key, opts.cluster) };
}

/** A random AccessKey pair for an emulator's `accessKeys`. */
export function randomAccessKey(): { id: string; secret: string } {
  return { id: `LTAI${randomBytes(8).toString('hex')}`, secret: randomBytes(15).toString('base64url') };
}

/** The `eci-virtual node` flags and environment that point a node at a started emulator with `key`. */
export function eciNodeFlags(
  emu: EciEmulator,
  key: { id: string; secret: string },
  cluster = 'it',
): Pick<EmulatorOnEngine, 'nodeArgs' | 'nodeEnv'> {
  return {
    nodeArgs: [
      '--backend',
      'eci',
      '--eci-endpoint',
      emu.endpoint,
      '--eci-region',
      emu.region,
      '--eci-vswitch',
      'vsw-test',
      '--eci-security-group',
      'sg-test',
      '--eci-cluster',
      cluster,
    ],
    nodeEnv: { ALIBABA_CLOUD_ACCESS_KEY_ID: key.id, ALIBABA_CLOUD_ACCESS_KEY_SECRET: key.secret },
  };
}
