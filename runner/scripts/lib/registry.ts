/**
 * The local image registry: Debian's `docker-registry` (distribution 2.8), plain HTTP, no auth, its storage in
 * `.local/engine/registry`. Test images are pushed here so the engine pulls them like any real image.
 *
 * Two names for one registry: the host (skopeo, the engine's pulls, image references in env.json) uses
 * `127.0.0.1:<port>`; containers on the engine's bridge — kaniko in a job pod — cannot, 127.0.0.1 being their own
 * loopback, and use the bridge gateway `podRegistryAddress()` (10.88.0.1:<port>). Hence `http.addr: 0.0.0.0:<port>`
 * in its config (engine-config.ts) instead of 127.0.0.1: the smallest change that makes it reachable from pods (a
 * bind to 10.88.0.1 alone would fail until the engine's first container creates the bridge). Both names are marked
 * insecure in registries.conf; kaniko gets `--insecure-registry=10.88.0.1:<port>` and
 * `--registry-map=127.0.0.1:<port>=10.88.0.1:<port>` (actions/build-image/src/kaniko/kaniko-args.ts localRegistryAccess), so
 * Dockerfiles keep the host's references in FROM. A running registry picks the new address up at the next
 * `yarn engine up`, which restarts it because its config file changed.
 */
import { Conflict } from '@eci-virtual/contract';
import { layout, registryAddress, registryPort } from './engine-layout.js';
import { runningPid, startDetached, stopProcess, waitUntil, type ManagedProcess } from './processes.js';
import { findTool, requireTools } from './tools.js';
import { request } from './unix-http.js';

export const registryProcess: ManagedProcess = {
  name: 'docker-registry',
  pidFile: layout.registryPid,
  logFile: layout.registryLog,
  // Our own config path in its command line: a registry started elsewhere (or a recycled pid) is never ours.
  marker: layout.registryConf,
};

const target = () => ({ host: '127.0.0.1', port: registryPort() });

export async function registryHealthy(): Promise<boolean> {
  const res = await request(target(), '/v2/', { timeoutMs: 2_000 });
  return res?.status === 200;
}

/** Starts the registry unless ours already runs (restarted when its config changed). Waits for `/v2/`. */
export async function ensureRegistry(configChanged: boolean, log: (msg: string) => void): Promise<number> {
  requireTools(['docker-registry'], 'run the local image registry');
  let pid = runningPid(registryProcess);
  if (pid !== undefined && configChanged) {
    log('registry config changed; restarting the registry');
    await stopProcess(registryProcess);
    pid = undefined;
  }
  if (pid === undefined) {
    if (await registryHealthy()) {
      throw new Conflict(
        `something else already serves a registry on ${registryAddress()}; stop it or set ECI_VIRTUAL_REGISTRY_PORT`,
      );
    }
    log(`starting docker-registry on ${registryAddress()}`);
    pid = startDetached(registryProcess, findTool('docker-registry') ?? 'docker-registry', [
      'serve',
      layout.registryConf,
    ]);
  }
  await waitUntil(`the registry to answer on http://${registryAddress()}/v2/`, registryHealthy, {
    timeoutMs: 30_000,
    proc: registryProcess,
  });
  return pid;
}

export const stopRegistry = (): Promise<boolean> => stopProcess(registryProcess);

const MANIFEST_TYPES = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

/** The manifest digest a tag points to in the local registry, or undefined when the tag (or registry) is absent. */
export async function registryDigest(repository: string, tag: string): Promise<string | undefined> {
  const res = await request(target(), `/v2/${repository}/manifests/${encodeURIComponent(tag)}`, {
    method: 'HEAD',
    headers: { Accept: MANIFEST_TYPES },
  });
  const digest = res?.headers['docker-content-digest'];
  return res?.status === 200 && typeof digest === 'string' ? digest : undefined;
}
