/**
 * Where the local container engine keeps its state, and the config files it runs with. Everything lives in the
 * checkout's own `.local/engine/` and is passed to Podman through environment variables, so nothing under /etc is
 * touched and the machine's own Podman setup (if any) is neither used nor disturbed.
 *
 * Why Podman's storage is per checkout (`.local/engine/storage`) and not in ~/.cache: libpod keeps its container and
 * volume database next to the image store (static_dir defaults to <graphroot>/libpod). A shared store would let one
 * checkout's `down` remove another checkout's containers, and two services would manage one database. What is slow to
 * make — the test images — is cached per user in ~/.cache/eci-virtual/images and reaches a fresh store in seconds
 * (push to the local registry, pull).
 */
import { join } from 'node:path';
import { InvalidInput } from '@eci-virtual/contract';
import { cacheDir, localDir, podHostAddress } from './paths.js';

export const engineDir = join(localDir, 'engine');

export const registryPort = (): number => {
  const raw = process.env.ECI_VIRTUAL_REGISTRY_PORT ?? '5001';
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new InvalidInput(`ECI_VIRTUAL_REGISTRY_PORT must be a TCP port number, got "${raw}"`);
  }
  return port;
};

/** host:port as image references spell it (no scheme). */
export const registryAddress = (): string => `127.0.0.1:${registryPort()}`;

/**
 * The same registry as containers on the engine's bridge see it (127.0.0.1 is their own loopback): in-pod image
 * builds (kaniko) pull and push through it. The registry listens on all addresses for this (engine-config.ts).
 */
export const podRegistryAddress = (): string => `${podHostAddress}:${registryPort()}`;

export const layout = {
  socket: join(engineDir, 'podman.sock'),
  envFile: join(engineDir, 'env.json'),
  lockFile: join(engineDir, 'engine.lock'),
  containersConf: join(engineDir, 'containers.conf'),
  storageConf: join(engineDir, 'storage.conf'),
  registriesConf: join(engineDir, 'registries.conf'),
  registryConf: join(engineDir, 'registry.yml'),
  registryData: join(engineDir, 'registry'),
  graphRoot: join(engineDir, 'storage'),
  /**
   * Runtime state (locks, conmon sockets, exit files). Podman expects it on a tmpfs so a reboot clears it; this
   * machine's /run is not a tmpfs, so `up` clears it itself whenever it starts a fresh service (see podman-service).
   */
  runDir: join(engineDir, 'run'),
  networksDir: join(engineDir, 'networks'),
  podmanPid: join(engineDir, 'podman.pid'),
  podmanLog: join(engineDir, 'podman.log'),
  registryPid: join(engineDir, 'registry.pid'),
  registryLog: join(engineDir, 'registry.log'),
  /** Built image archives (OCI layouts), keyed by recipe hash; survive `down` and wiping `.local`. */
  imageCache: join(cacheDir, 'images'),
} as const;

export const dockerHost = (): string => `unix://${layout.socket}`;

/** The environment a `podman` CLI call needs to reach this engine with its config (also written to env.json). */
export function podmanEnv(): Record<string, string> {
  return {
    CONTAINERS_CONF: layout.containersConf,
    CONTAINERS_STORAGE_CONF: layout.storageConf,
    CONTAINERS_REGISTRIES_CONF: layout.registriesConf,
    // Makes the podman CLI a client of our service (podman 4 switches to --remote when this is set).
    CONTAINER_HOST: dockerHost(),
  };
}

/** Same as podmanEnv() but for a podman CLI that works on the storage directly (no service needed). */
export function podmanLocalEnv(): Record<string, string> {
  const { CONTAINER_HOST: _remote, ...local } = podmanEnv();
  return local;
}
