/**
 * A GroupRuntime that runs each emulated container group as one pod through a virtual-node Backend (for instance
 * DockerBackend on Podman), so integration tests can drive EciBackend → emulator → real containers. The group's
 * containers are mapped back into a PreparedPod: Command/Arg → command/args, EnvironmentVar → resolved env,
 * Memory → the memory limit (the engine OOM-kills a container that exceeds it, as ECI does), EmptyDirVolume and
 * ConfigFileVolume → prepared volumes, NFSVolume → an emptyDir that `nfs` (NfsExports) backs with the export's files
 * (on-engine.ts: one host directory per server:path); without `nfs`, groups with NFS volumes fail.
 */
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { Writable } from 'node:stream';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import type { Backend, PodRef, PreparedPod, PreparedVolume } from '../../src/virtual-node/backends/backend.js';
import type {
  GroupRuntime,
  LogLine,
  RuntimeContainer,
  RuntimeContainerUsage,
  RuntimeContainerStatus,
  RuntimeExecIo,
  RuntimeGroup,
  RuntimeGroupStatus,
  RuntimeVolume,
} from './runtime.js';

/** What stands in for NFS servers: every pod that mounts `server:path` sees the same files. */
export interface NfsExports {
  /**
   * Called before the pod is created: the pod's volume `volume` (handed to the backend as an emptyDir) must then
   * hold the files of the export.
   */
  attach(ref: PodRef, volume: string, nfs: { server: string; path: string }): Promise<void>;
  close?(): Promise<void>;
}

export interface BackendRuntimeOptions {
  backend: Backend;
  /** Namespace the emulated pods are filed under in the backend (default "eci-emulator"). */
  namespace?: string;
  /** NFS exports; without them groups with NFSVolume volumes fail at creation. */
  nfs?: NfsExports;
}

const GIB = 2 ** 30;

function container(c: RuntimeContainer, readOnlyVolumes: Set<string>): V1Container {
  return {
    name: c.name,
    image: c.image,
    ...(c.imagePullPolicy ? { imagePullPolicy: c.imagePullPolicy } : {}),
    ...(c.command.length ? { command: c.command } : {}),
    ...(c.args.length ? { args: c.args } : {}),
    ...(c.workingDir ? { workingDir: c.workingDir } : {}),
    stdin: c.stdin,
    tty: c.tty,
    ports: c.ports.map((p) => ({ containerPort: p.port, protocol: p.protocol })),
    volumeMounts: c.volumeMounts.map((m) => ({
      name: m.name,
      mountPath: m.mountPath,
      readOnly: m.readOnly || readOnlyVolumes.has(m.name),
      ...(m.subPath ? { subPath: m.subPath } : {}),
    })),
    // ECI sizes the container's memory cgroup from Memory (GiB); so does the engine from the limit: a container
    // that allocates more is OOM-killed (exit 137, OOMKilled) instead of running on unbounded.
    ...(c.memoryGiB ? { resources: { limits: { memory: String(Math.round(c.memoryGiB * GIB)) } } } : {}),
  };
}

function preparedVolume(v: RuntimeVolume): PreparedVolume {
  switch (v.type) {
    case 'ConfigFileVolume':
      return {
        name: v.name,
        kind: 'files',
        files: (v.files ?? []).map((f) => ({ path: f.path, content: f.content, mode: f.mode ?? 0o644 })),
      };
    case 'NFSVolume':
      return { name: v.name, kind: 'emptyDir' }; // its files come from NfsExports.attach
    default:
      return { name: v.name, kind: 'emptyDir', ...(v.medium === 'Memory' ? { medium: 'Memory' as const } : {}) };
  }
}

/** The group as the PreparedPod a Backend expects. */
export function preparedPodFor(group: RuntimeGroup, namespace: string): PreparedPod {
  // A random uid like the API server's: the docker backend names volumes by the uid's first characters, and group ids
  // made in the same instant share theirs.
  const ref: PodRef = { namespace, name: group.id, uid: randomUUID() };
  const volumes = group.volumes.map(preparedVolume);
  // NFSVolume.ReadOnly: the export is read-only in every container that mounts it.
  const readOnly = new Set(group.volumes.filter((v) => v.nfs?.readOnly).map((v) => v.name));
  const pod: V1Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { namespace, name: ref.name, uid: ref.uid, labels: { 'eci-emulator/group': group.id } },
    spec: {
      restartPolicy: group.restartPolicy,
      ...(group.terminationGracePeriodSeconds !== undefined
        ? { terminationGracePeriodSeconds: group.terminationGracePeriodSeconds }
        : {}),
      initContainers: group.initContainers.map((c) => container(c, readOnly)),
      containers: group.containers.map((c) => container(c, readOnly)),
      volumes: group.volumes.map((v) =>
        v.type === 'ConfigFileVolume' ? { name: v.name, configMap: { name: v.name } } : { name: v.name, emptyDir: {} },
      ),
    },
  };
  return {
    ref,
    pod,
    env: Object.fromEntries([...group.initContainers, ...group.containers].map((c) => [c.name, c.env])),
    volumes,
    registryAuths: group.registryCredentials.map((r) => ({
      registry: r.server,
      username: r.userName,
      password: r.password,
    })),
    cacheImages: [],
  };
}

/** The engine's RFC 3339 timestamp that starts each log frame, as it appears inside a line made of several frames. */
const FRAME_TIMESTAMP = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d) /g;

const noop = () => undefined;

const STATE = { waiting: 'Waiting', running: 'Running', terminated: 'Terminated' } as const;

/**
 * Whether the engine's container died of the kernel's OOM killer. Podman 4.3 with runc on cgroup v1 (these machines)
 * reports `OOMKilled: false` even then — only exit 137 — so a container with a memory limit that ended by SIGKILL
 * while its group was not being deleted (deleted groups have no status here) counts as OOM-killed, as ECI reports it.
 */
function oomKilled(c: { state: string; reason?: string; exitCode?: number; name: string }, limited: Set<string>) {
  if (c.state !== 'terminated') return false;
  return /OOM/i.test(c.reason ?? '') || (c.exitCode === 137 && limited.has(c.name));
}

export class BackendRuntime implements GroupRuntime {
  private readonly pods = new Map<string, PreparedPod>();
  private readonly abort = new AbortController();
  private readonly starting = new Map<string, { abort: AbortController; done: Promise<void> }>();
  private readonly exports = new Map<string, { volume: string; server: string; path: string }[]>();

  constructor(private readonly opts: BackendRuntimeOptions) {
    // Every group's pod creation listens on this one signal (closing the runtime cancels them all).
    setMaxListeners(0, this.abort.signal);
    if (opts.backend.constructor.name === 'EciBackend')
      throw new Error('BackendRuntime over EciBackend would loop the emulator into itself');
  }

  private ref(groupId: string): PodRef {
    const p = this.pods.get(groupId);
    if (!p) throw new Error(`no such group ${groupId}`);
    return p.ref;
  }

  async create(group: RuntimeGroup): Promise<void> {
    const nfs = group.volumes.flatMap((v) => (v.nfs ? [{ volume: v.name, ...v.nfs }] : []));
    if (nfs.length && !this.opts.nfs) throw new Error('NFS volumes are not supported by this backend runtime');
    this.pods.set(group.id, preparedPodFor(group, this.opts.namespace ?? 'eci-emulator'));
    this.exports.set(group.id, nfs);
  }

  /** Backend.createPod creates *and* starts, so it runs here (once the group's NFS exports are attached). */
  async start(groupId: string): Promise<void> {
    const prepared = this.pods.get(groupId);
    if (!prepared) throw new Error(`no such group ${groupId}`);
    for (const e of this.exports.get(groupId) ?? []) await this.opts.nfs!.attach(prepared.ref, e.volume, e);
    const abort = new AbortController();
    const onClose = () => abort.abort();
    this.abort.signal.addEventListener('abort', onClose, { once: true });
    const creating = this.opts.backend.createPod(prepared, abort.signal);
    this.starting.set(groupId, { abort, done: creating.then(noop, noop) });
    try {
      await creating;
    } finally {
      this.starting.delete(groupId);
      this.abort.signal.removeEventListener('abort', onClose);
    }
  }

  /** A group deleted while its pod is still being created: the creation is cancelled and awaited first, so the
   * engine never has a create and a delete of the same containers racing each other. */
  async delete(groupId: string, gracePeriodSeconds: number): Promise<void> {
    const prepared = this.pods.get(groupId);
    if (!prepared) return;
    this.pods.delete(groupId);
    this.exports.delete(groupId);
    const starting = this.starting.get(groupId);
    if (starting) {
      starting.abort.abort();
      await starting.done;
    }
    await this.opts.backend.deletePod(prepared.ref, gracePeriodSeconds);
  }

  async usage(groupId: string): Promise<RuntimeContainerUsage[] | undefined> {
    const prepared = this.pods.get(groupId);
    if (!prepared || !this.opts.backend.podUsage) return undefined;
    const [pod] = await this.opts.backend.podUsage([prepared.ref]);
    return pod?.containers;
  }

  async status(groupId: string): Promise<RuntimeGroupStatus | undefined> {
    const prepared = this.pods.get(groupId);
    if (!prepared) return undefined;
    const s = await this.opts.backend.getPodStatus(prepared.ref);
    if (!s) return undefined;
    const limited = new Set(
      [...(prepared.pod.spec?.initContainers ?? []), ...(prepared.pod.spec?.containers ?? [])]
        .filter((c) => c.resources?.limits?.memory)
        .map((c) => c.name),
    );
    const map = (c: (typeof s.containers)[number]): RuntimeContainerStatus => ({
      name: c.name,
      state: STATE[c.state],
      restartCount: c.restartCount,
      ...(c.exitCode !== undefined ? { exitCode: c.exitCode } : {}),
      ...(oomKilled(c, limited) ? { reason: 'OOMKilled' } : c.reason ? { reason: c.reason } : {}),
      ...(c.message ? { message: c.message } : {}),
      ...(c.startedAt ? { startTime: c.startedAt } : {}),
      ...(c.finishedAt ? { finishTime: c.finishedAt } : {}),
    });
    return {
      initContainers: s.initContainers.map(map),
      containers: s.containers.map(map),
      ...(s.podIP ? { ip: s.podIP } : {}),
    };
  }

  /** Reads the container's whole log with timestamps and splits it into lines. */
  async logs(groupId: string, container: string): Promise<LogLine[]> {
    const stream = await this.opts.backend.containerLogs(
      this.ref(groupId),
      container,
      { follow: false, timestamps: true, previous: false },
      this.abort.signal,
    );
    let text = '';
    for await (const chunk of stream) text += String(chunk);
    return text
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => {
        const space = l.indexOf(' ');
        const time = new Date(l.slice(0, space));
        // A line written in several pieces (`printf a; echo`) comes as several timestamped frames: keep the first
        // timestamp, drop the ones in between.
        const text = l.slice(space + 1).replace(FRAME_TIMESTAMP, '');
        return Number.isNaN(time.getTime())
          ? { time: new Date(), stream: 'stdout' as const, text: l }
          : { time, stream: 'stdout' as const, text };
      });
  }

  exec(groupId: string, container: string, command: string[], io: RuntimeExecIo, signal: AbortSignal): Promise<number> {
    return this.opts.backend.exec(
      this.ref(groupId),
      container,
      command,
      { ...(io.stdin ? { stdin: io.stdin } : {}), stdout: io.stdout, stderr: io.stderr as Writable, tty: io.tty },
      signal,
    );
  }

  async close(): Promise<void> {
    this.abort.abort();
    for (const id of [...this.pods.keys()]) await this.delete(id, 0).catch(() => undefined);
    await this.opts.nfs?.close?.();
  }
}
