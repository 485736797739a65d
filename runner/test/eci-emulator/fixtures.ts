/** Shared set-up for tests that drive the ECI emulator in-process with the fake runtime. */
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import type { PreparedPod } from '../../src/virtual-node/backends/backend.js';
import { EciClient } from '../../src/virtual-node/backends/eci/eci-client.js';
import { FakeRuntime, type FakeRuntimeOptions } from './fake-runtime.js';
import { EciEmulator, type EciEmulatorOptions } from './server.js';

export const ACCESS_KEY = { id: 'LTAI-test-key', secret: 'test-secret-not-real' };

/** Delays short enough for unit tests, long enough to see every state. */
export const FAST_DELAYS = { scheduleMs: 20, pullMs: 30, cachedPullMs: 5, imageCacheMs: 60 };

export const NODE = {
  clusterName: 'c1',
  nodeName: 'eci-virtual',
  region: 'cn-hangzhou',
  vSwitchId: 'vsw-test',
  securityGroupId: 'sg-test',
  zoneId: 'cn-hangzhou-k',
};

export async function startEmulator(
  opts: Partial<EciEmulatorOptions> = {},
  runtimeOpts: FakeRuntimeOptions = {},
): Promise<{ emu: EciEmulator; runtime: FakeRuntime }> {
  const runtime = new FakeRuntime(runtimeOpts);
  const emu = new EciEmulator({
    runtime,
    accessKeys: { [ACCESS_KEY.id]: ACCESS_KEY.secret },
    delays: FAST_DELAYS,
    refreshMs: 20,
    ...opts,
  });
  await emu.start();
  return { emu, runtime };
}

export function clientFor(emu: EciEmulator, secret = ACCESS_KEY.secret, maxAttempts = 6): EciClient {
  return new EciClient({
    region: NODE.region,
    endpoint: emu.endpoint,
    credentials: { accessKeyId: ACCESS_KEY.id, accessKeySecret: secret },
    backoffBaseMs: 1,
    maxAttempts,
  });
}

let seq = 0;

export function preparedPod(containers: Partial<V1Container>[], spec: Partial<V1Pod['spec']> = {}): PreparedPod {
  const n = ++seq;
  const ref = { namespace: 'ci', name: `job-${n}`, uid: `uid-${n}-${Date.now()}` };
  const full = containers.map((c, i) => ({ name: `c${i}`, image: 'busybox:1.36', ...c }));
  return {
    ref,
    pod: {
      metadata: { ...ref },
      spec: { restartPolicy: 'Never', containers: full, ...spec },
    },
    env: Object.fromEntries(full.map((c) => [c.name, [['CI', 'true']]])),
    volumes: [],
    registryAuths: [],
    cacheImages: [],
  };
}

/** Polls `check` until it returns a value (not undefined/false) or `ms` pass. */
export async function until<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  ms = 5_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 15));
  }
}

/** Starts `backend.run` and registers its stop (abort, then wait for the loop) with the test's cleanups. */
export function running<T extends { run(signal: AbortSignal): Promise<void> }>(
  backend: T,
  cleanups: (() => Promise<void> | void)[],
): T {
  const abort = new AbortController();
  const loop = backend.run(abort.signal);
  cleanups.push(async () => {
    abort.abort();
    await loop;
  });
  return backend;
}
