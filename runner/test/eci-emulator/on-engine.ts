/**
 * The ECI emulator with its container groups running as real pods on the local engine (BackendRuntime over the
 * docker backend), plus the flags and environment that point a virtual node (`--backend eci`) at it. Used by the
 * integration suite and the benchmarks.
 */
import { randomBytes } from 'node:crypto';
import { createLogger } from '../../src/observability/logger.js';
import { DockerBackend } from '../../src/virtual-node/backends/docker/docker-backend.js';
import { BackendRuntime } from './backend-runtime.js';
import type { Delays } from './groups.js';
import { EciEmulator, type EciEmulatorOptions } from './server.js';

export interface EmulatorOnEngine {
  emu: EciEmulator;
  /** `eci-virtual node` flags for this emulator. */
  nodeArgs: string[];
  /** The node's credentials (a random AccessKey pair the emulator accepts). */
  nodeEnv: Record<string, string>;
}

export async function startEmulatorOnEngine(opts: {
  dockerHost: string;
  infraImage: string;
  delays?: Partial<Delays>;
  cluster?: string;
  rateLimits?: EciEmulatorOptions['rateLimits'];
}): Promise<EmulatorOnEngine> {
  const key = { id: `LTAI${randomBytes(8).toString('hex')}`, secret: randomBytes(15).toString('base64url') };
  const emu = new EciEmulator({
    runtime: new BackendRuntime({
      backend: new DockerBackend({
        host: opts.dockerHost,
        nodeName: `eci-emulator-${randomBytes(3).toString('hex')}`,
        infraImage: opts.infraImage,
        log: createLogger({ component: 'eci-emulator' }, { level: 'error' }),
      }),
    }),
    accessKeys: { [key.id]: key.secret },
    ...(opts.delays ? { delays: opts.delays } : {}),
    ...(opts.rateLimits ? { rateLimits: opts.rateLimits } : {}),
  });
  await emu.start();
  return {
    emu,
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
      opts.cluster ?? 'it',
    ],
    nodeEnv: { ALIBABA_CLOUD_ACCESS_KEY_ID: key.id, ALIBABA_CLOUD_ACCESS_KEY_SECRET: key.secret },
  };
}
