/**
 * The Podman API service (`podman system service`) that serves the Docker-compatible API on
 * `.local/engine/podman.sock`, plus the clean-up `down` needs: containers, pods and leftover conmon monitors.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename } from 'node:path';
import { $ } from 'zx';
import { InvalidInput } from '@eci-virtual/contract';
import { engineDir, layout, podmanLocalEnv } from './engine-layout.js';
import { runningPid, startDetached, stopProcess, waitUntil, type ManagedProcess } from './processes.js';
import { findTool, requireTools } from './tools.js';
import { request } from './unix-http.js';

export const API = '/v1.41';

export const podmanProcess: ManagedProcess = {
  name: 'podman system service',
  pidFile: layout.podmanPid,
  logFile: layout.podmanLog,
  // The socket path is unique per checkout, so it identifies our service among any other podman processes.
  marker: layout.socket,
  // conmon (2.1, cgroup v1) records a container's OOM kill by creating an empty file named "oom" in its working
  // directory, which it inherits from this service: started from the checkout, every OOM test left `oom` (or
  // `runner/oom` under `yarn engine`) in the working tree. The engine's own directory is gitignored.
  cwd: engineDir,
};

/** sun_path is 108 bytes on Linux; a deep checkout would otherwise fail with an obscure bind error. */
const MAX_SOCKET_PATH = 107;

export async function podmanHealthy(): Promise<boolean> {
  const res = await request({ socketPath: layout.socket }, `${API}/_ping`, { timeoutMs: 2_000 });
  return res?.status === 200 && res.body.trim() === 'OK';
}

/** Environment for podman processes we spawn: our config, and no inherited remote/Docker settings. */
function podmanProcessEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...podmanLocalEnv() };
  delete env.CONTAINER_HOST;
  delete env.CONTAINER_CONNECTION;
  delete env.DOCKER_HOST;
  return env;
}

/** Helper processes podman leaves running per container or network; only these are ever killed as strays. */
const HELPERS = new Set(['conmon', 'aardvark-dns', 'slirp4netns', 'rootlessport', 'catatonit']);

/** Pids of podman helper processes (conmon monitors, aardvark-dns) whose command line names our engine directory. */
export function strayEngineProcesses(): number[] {
  const own = new Set([process.pid, runningPid(podmanProcess)]);
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (own.has(pid)) continue;
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      // conmon gets our run/storage paths as arguments.
      if (HELPERS.has(basename(cmd[0] ?? '')) && cmd.some((a) => a.includes(engineDir))) found.push(pid);
    } catch {
      /* exited meanwhile */
    }
  }
  return found;
}

/** Starts the service unless ours already runs (restarted when its config changed). Waits for `/_ping`. */
export async function ensurePodmanService(configChanged: boolean, log: (msg: string) => void): Promise<number> {
  requireTools(['podman', 'runc', 'conmon', 'netavark'], 'run the local container engine');
  if (layout.socket.length > MAX_SOCKET_PATH) {
    throw new InvalidInput(`engine socket path is too long for a unix socket (${layout.socket})`, {
      hint: 'use a shorter checkout path or set ECI_VIRTUAL_LOCAL_DIR',
    });
  }
  let pid = runningPid(podmanProcess);
  if (pid !== undefined && configChanged) {
    log('engine config changed; restarting the podman service (containers keep running)');
    await stopProcess(podmanProcess);
    pid = undefined;
  }
  if (pid === undefined) {
    // Podman keeps runtime state (locks, "alive" marker) in tmp_dir and expects a reboot to clear it. /run is not a
    // tmpfs here, so clear it whenever nothing of ours runs: podman then refreshes container states from scratch.
    if (strayEngineProcesses().length === 0) rmSync(layout.runDir, { recursive: true, force: true });
    rmSync(layout.socket, { force: true });
    log(`starting podman system service on ${layout.socket}`);
    const podman = findTool('podman') ?? 'podman';
    pid = startDetached(
      podmanProcess,
      podman,
      ['system', 'service', '--time=0', `unix://${layout.socket}`],
      podmanProcessEnv(),
    );
  }
  await waitUntil(`the podman service to answer on ${layout.socket}`, podmanHealthy, {
    timeoutMs: 30_000,
    proc: podmanProcess,
  });
  return pid;
}

export const stopPodmanService = (): Promise<boolean> => stopProcess(podmanProcess);

/**
 * Removes every pod, container and unused volume in our store. Runs podman against the store directly (not through
 * the service) so it also works when the service died. Everything in this store belongs to this checkout.
 *
 * `podman rm --all --force` (4.3) is not dependency-aware: a container whose network namespace another container
 * joined ("container:<id>") fails with "has dependent containers", `--depend` does not help with `--all`, and the
 * failed one keeps running. So stop everything first (in parallel, SIGKILL after 2 s), then remove in rounds: each
 * round removes the containers nothing depends on any more.
 */
export async function removeAllContainers(): Promise<{ removed: string[]; left: string[] }> {
  if (!existsSync(layout.graphRoot) || findTool('podman') === undefined) return { removed: [], left: [] };
  const podman = $({ env: podmanProcessEnv(), quiet: true, nothrow: true });
  const list = async () => (await podman`podman ps --all --quiet --no-trunc`).stdout.split('\n').filter(Boolean);
  const removed = await list();
  if (removed.length === 0) {
    await podman`podman volume prune --force`;
    return { removed, left: [] };
  }
  await podman`podman pod rm --all --force --time 2`;
  await podman`podman stop --all --time 2`;
  let left = removed;
  for (let round = 0; round < 10 && left.length > 0; round++) {
    await podman`podman rm --all --force --volumes --time 0`;
    left = await list();
  }
  await podman`podman volume prune --force`;
  return { removed: removed.filter((id) => !left.includes(id)), left };
}

/** Processes of ours that survived container removal (a wedged conmon): killed so `down` leaves nothing running. */
export function killStrays(): number[] {
  const strays = strayEngineProcesses();
  for (const pid of strays) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  return strays;
}
