/**
 * The local container engine for the `docker` virtual-node backend and the integration tests: a Podman API service
 * (Docker-compatible) on `.local/engine/podman.sock`, a local registry on 127.0.0.1:5001 and test images built from
 * Debian packages (nothing comes from a public registry). `yarn engine up|down|status` and the jest global setup
 * both use these functions; `.local/engine/env.json` tells other processes where everything is.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { describeError } from '@eci-virtual/contract';
import { IMAGE_NAMES, RECIPES, type ImageName } from '../images/index.js';
import { writeEngineConfig } from './engine-config.js';
import { dockerHost, layout, podmanEnv, podRegistryAddress, registryAddress } from './engine-layout.js';
import { engineHasImage, ensurePulled } from './engine-pull.js';
import { cacheState, ensureBuilt, ensurePushed, imageReference } from './image-cache.js';
import { withLock } from './lock.js';
import {
  ensurePodmanService,
  killStrays,
  podmanHealthy,
  podmanProcess,
  removeAllContainers,
  stopPodmanService,
} from './podman-service.js';
import { runningPid } from './processes.js';
import { requireTools } from './tools.js';
import { ensureRegistry, registryDigest, registryHealthy, registryProcess, stopRegistry } from './registry.js';

/** The shape of `.local/engine/env.json` (read by the test global setup and the virtual node). */
export interface EngineEnv {
  /** DOCKER_HOST syntax: unix:///abs/path/podman.sock */
  dockerHost: string;
  /** host:port of the local registry, as image references spell it. */
  registry: string;
  /** host:port of the same registry as containers on the engine's bridge reach it (in-pod image builds). */
  podRegistry: string;
  images: Record<ImageName, string>;
  /** Environment a `podman` CLI call needs to use this engine and its config. */
  podmanEnv: Record<string, string>;
}

export interface EngineOptions {
  log?: (msg: string) => void;
}

const defaultLog = (msg: string) => console.error(msg);
const LOCK_TIMEOUT_MS = 30 * 60_000; // another `up` may be building the debian image

/** Brings the engine up, reusing whatever already runs (idempotent), and returns where it is. */
export async function ensureEngine(opts: EngineOptions = {}): Promise<EngineEnv> {
  const log = opts.log ?? defaultLog;
  return withLock(
    layout.lockFile,
    async () => {
      // Everything `up` always needs, reported in one line; build tools (umoci, debootstrap) are checked only when an
      // image has to be built, so a machine with a warm image cache does not need them.
      requireTools(['podman', 'runc', 'conmon', 'netavark', 'docker-registry', 'skopeo'], 'run the local engine');
      const changed = writeEngineConfig();
      await ensureRegistry(changed.registry, log);
      await ensurePodmanService(changed.podman, log);
      const images = {} as Record<ImageName, string>;
      for (const name of IMAGE_NAMES) {
        const image = await ensureBuilt(RECIPES[name], log);
        await ensurePushed(image, log);
        await ensurePulled(image, log);
        images[name] = image.reference;
      }
      const env: EngineEnv = {
        dockerHost: dockerHost(),
        registry: registryAddress(),
        podRegistry: podRegistryAddress(),
        images,
        podmanEnv: podmanEnv(),
      };
      writeFileSync(layout.envFile, `${JSON.stringify(env, null, 2)}\n`);
      return env;
    },
    { timeoutMs: LOCK_TIMEOUT_MS, log, what: 'engine up/down' },
  );
}

/** env.json as the last `up` wrote it, or undefined when the engine is down. */
export function readEngineEnv(): EngineEnv | undefined {
  if (!existsSync(layout.envFile)) return undefined;
  return JSON.parse(readFileSync(layout.envFile, 'utf8')) as EngineEnv;
}

export interface StopReport {
  /** Container ids that were still present and got removed. */
  containers: string[];
  /** Container ids podman could not remove (reported; `down` then exits non-zero). */
  left: string[];
  /** Processes stopped by their pid file. */
  stopped: string[];
  /** Stray podman helpers (conmon, aardvark-dns) killed after everything else. */
  killed: number[];
}

/** Stops exactly what `up` started; the image cache in ~/.cache/eci-virtual stays. */
export async function stopEngine(opts: EngineOptions = {}): Promise<StopReport> {
  const log = opts.log ?? defaultLog;
  return withLock(
    layout.lockFile,
    async () => {
      // Containers first: their conmon monitors outlive the service, so stopping only the service would leave them.
      const { removed: containers, left } = await removeAllContainers();
      const stopped: string[] = [];
      if (await stopPodmanService()) stopped.push(podmanProcess.name);
      if (await stopRegistry()) stopped.push(registryProcess.name);
      const killed = killStrays();
      rmSync(layout.envFile, { force: true });
      return { containers, left, stopped, killed };
    },
    { timeoutMs: LOCK_TIMEOUT_MS, log, what: 'engine up/down' },
  );
}

export interface ImageStatus {
  name: ImageName;
  reference: string;
  recipeHash: string;
  /** Built and cached in ~/.cache/eci-virtual/images. */
  cached: boolean;
  digest: string | undefined;
  /** The registry's tag points at the cached digest. */
  inRegistry: boolean;
  /** The engine holds the image with the cached digest. */
  inEngine: boolean;
}

export interface EngineStatus {
  podman: { pid: number | undefined; healthy: boolean; socket: string; log: string };
  registry: { pid: number | undefined; healthy: boolean; address: string; log: string };
  images: ImageStatus[];
  envFile: string | undefined;
}

export async function engineStatus(): Promise<EngineStatus> {
  const podmanPid = runningPid(podmanProcess);
  const registryPid = runningPid(registryProcess);
  const podmanUp = podmanPid !== undefined && (await podmanHealthy());
  const registryUp = registryPid !== undefined && (await registryHealthy());
  const images: ImageStatus[] = [];
  for (const name of IMAGE_NAMES) {
    const recipe = RECIPES[name];
    // A recipe whose inputs cannot be read (a missing tool) is reported, not thrown: status must always answer.
    const state = await cacheState(recipe).catch((err: unknown) => describeError(err));
    const cached = typeof state === 'string' ? undefined : state.cached;
    const remote = registryUp ? await registryDigest(recipe.repository, recipe.tag) : undefined;
    images.push({
      name,
      reference: imageReference(recipe),
      recipeHash: typeof state === 'string' ? `unknown: ${state}` : state.hash,
      cached: cached !== undefined,
      digest: cached?.digest,
      inRegistry: cached !== undefined && remote === cached.digest,
      inEngine: podmanUp && cached !== undefined && (await engineHasImage(cached)),
    });
  }
  return {
    podman: { pid: podmanPid, healthy: podmanUp, socket: layout.socket, log: layout.podmanLog },
    registry: { pid: registryPid, healthy: registryUp, address: registryAddress(), log: layout.registryLog },
    images,
    envFile: existsSync(layout.envFile) ? layout.envFile : undefined,
  };
}
