/**
 * The contract between the virtual node and the thing that really runs containers (a local Docker/Podman engine,
 * Alibaba Cloud ECI). The node does all Kubernetes work — watching pods, resolving env and volume contents, writing
 * status and events — and hands backends fully resolved inputs, so a backend never talks to the API server.
 *
 * Usage sketch:
 *   const backend = new DockerBackend({ host: 'unix:///run/podman.sock', infraImage });
 *   backend.onChange((ref) => node.syncStatus(ref));   // push notifications
 *   await backend.createPod(prepared, signal);          // returns once created and started (or failed)
 *   const status = await backend.getPodStatus(ref);
 */
import type { Readable, Writable } from 'node:stream';
import type { V1Pod } from '@kubernetes/client-node';

/** Identifies a pod across restarts of the node; backends label their resources with all three. */
export interface PodRef {
  namespace: string;
  name: string;
  uid: string;
}

export const podKey = (ref: Pick<PodRef, 'namespace' | 'name'>): string => `${ref.namespace}/${ref.name}`;

export interface ContainerRuntimeState {
  name: string;
  state: 'waiting' | 'running' | 'terminated';
  reason?: string;
  message?: string;
  exitCode?: number;
  startedAt?: Date;
  finishedAt?: Date;
  restartCount: number;
  image: string;
  imageID?: string;
  containerID?: string;
}

export interface BackendPodStatus {
  /** Backends may leave phase to the node (derived from container states) by returning undefined. */
  phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';
  reason?: string;
  message?: string;
  podIP?: string;
  startTime?: Date;
  initContainers: ContainerRuntimeState[];
  containers: ContainerRuntimeState[];
}

/** A file to materialise into a volume (ConfigMap/Secret/downward API/projected token contents). */
export interface VolumeFile {
  path: string;
  content: Buffer;
  mode: number;
}

export interface PreparedVolume {
  name: string;
  /** 'nfs' only reaches backends that declare `nfsVolumes` (the node refuses such pods for the others). */
  kind: 'emptyDir' | 'files' | 'nfs';
  /** For kind 'files': the whole content of the volume. */
  files?: VolumeFile[];
  /** For emptyDir with medium Memory. */
  medium?: 'Memory';
  sizeLimitBytes?: number;
  /** For kind 'nfs': the export to mount (`path` is absolute). */
  nfs?: { server: string; path: string; readOnly: boolean };
}

export interface RegistryAuth {
  registry: string;
  username?: string;
  password?: string;
  auth?: string;
  identityToken?: string;
}

/** Everything a backend needs to run a pod, with all references to the API already resolved. */
export interface PreparedPod {
  ref: PodRef;
  pod: V1Pod;
  /** Container name → fully resolved environment (valueFrom already evaluated), in spec order. */
  env: Record<string, [string, string][]>;
  volumes: PreparedVolume[];
  registryAuths: RegistryAuth[];
  /**
   * Images to keep cached for this pod's image set (ECI image cache, or pre-pulled on the docker backend), resolved
   * once from the pod by the node (contract cache-images.ts); backends never read CI annotations themselves.
   */
  cacheImages: string[];
}

export interface LogOptions {
  follow: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  sinceTime?: Date;
  timestamps: boolean;
  limitBytes?: number;
  previous: boolean;
}

export interface ExecIo {
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
  tty: boolean;
  resize?: AsyncIterable<{ width: number; height: number }>;
}

export interface BackendEvent {
  ref: PodRef;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  /** The container the event is about, for `involvedObject.fieldPath`. */
  container?: string;
}

export interface CachedImage {
  /** References as the pods name them (the repository's `imageCache.images`). */
  names: string[];
  sizeBytes?: number;
}

/** One container's resource usage at one moment (the figures the kubelet's /stats/summary and /metrics/resource give). */
export interface ContainerUsage {
  name: string;
  /** Cumulative CPU time since the container started, in core-nanoseconds. */
  cpuUsageCoreNanoSeconds: number;
  /** Memory the container cannot give back without paging (usage less inactive file cache), in bytes. */
  memoryWorkingSetBytes: number;
  memoryUsageBytes?: number;
  startTime?: Date;
}

export interface PodUsage {
  ref: PodRef;
  /** When the backend took the sample. */
  time: Date;
  containers: ContainerUsage[];
}

export interface Capacity {
  cpu: string;
  memory: string;
  pods: string;
  ephemeralStorage?: string;
}

/** What `resumePod` needs of the pod spec: its containers by name, in order, and its restart policy. */
export interface PodStartSpec {
  initContainers: string[];
  containers: string[];
  restartPolicy: string;
}

export interface Backend {
  readonly name: string;
  /**
   * The backend mounts `nfs` volumes (PreparedVolume kind 'nfs'). Without it the node fails pods with NFS volumes
   * before calling the backend, with the reason as the pod's message.
   */
  readonly nfsVolumes?: boolean;
  /**
   * Creates and starts every container of the pod: init containers one after another (each must exit 0), then the
   * app containers. Must be idempotent per `ref.uid` (a retry after a node restart must not duplicate containers).
   * Throws InvalidInput for pods the backend refuses (the node turns that into a Failed pod with an event);
   * Unavailable/Throttled for transient trouble (the node retries). Honors `signal` (pod deleted meanwhile).
   */
  createPod(prepared: PreparedPod, signal: AbortSignal): Promise<void>;
  /**
   * After a node restart, for a pod it adopts: carries on what the previous node process left unfinished — init
   * containers not run yet, app containers created but never started — as the kubelet's sync loop does after a
   * restart. `incomplete`: some of the pod's containers were never created (the node died while creating them);
   * the node then removes the pod from the backend and creates it again. Backends whose pods start as a whole (ECI)
   * need not implement it.
   */
  resumePod?(ref: PodRef, spec: PodStartSpec): Promise<'resumed' | 'incomplete'>;
  /** Stops the pod's containers (SIGTERM, then SIGKILL after the grace period) and removes them. Idempotent. */
  deletePod(ref: PodRef, gracePeriodSeconds: number): Promise<void>;
  /** Current state, or undefined when the backend has no such pod. Cheap enough to call on every change. */
  getPodStatus(ref: PodRef): Promise<BackendPodStatus | undefined>;
  /** Every pod this backend runs for this node, for reconciliation on start. */
  listPods(): Promise<PodRef[]>;
  /** Container output; with `follow` the stream ends when the container ends or `signal` aborts. */
  containerLogs(ref: PodRef, container: string, options: LogOptions, signal: AbortSignal): Promise<Readable>;
  /** Runs `command` in a running container; resolves with its exit code. NotFound if pod/container is missing. */
  exec(ref: PodRef, container: string, command: string[], io: ExecIo, signal: AbortSignal): Promise<number>;
  /** Attaches to the container's main process; resolves with its exit code when it ends (or -1 when detached). */
  attach(ref: PodRef, container: string, io: ExecIo, signal: AbortSignal): Promise<number>;
  capacity(): Promise<Capacity>;
  /**
   * Resource usage of the given running pods, for /stats/summary and /metrics/resource. Pods the backend has no
   * figures for are left out; throws only when no figures can be had at all (the API then reports a scrape error).
   * A backend without it is reported with zero usage and `usageUnsupported` as the reason.
   */
  podUsage?(refs: PodRef[]): Promise<PodUsage[]>;
  /** Why this backend reports no usage (set when `podUsage` is absent or can return nothing real). */
  readonly usageUnsupported?: string;
  /**
   * The images this backend holds ready for pods — pre-pulled into the engine, or in a Ready ECI image cache — for the
   * Node's `status.images`, where the controller reads the image cache's state. Cheap (in memory).
   */
  cachedImages?(): CachedImage[];
  /** Push notifications: `listener` is called (without blocking) whenever a pod's state may have changed. */
  onChange(listener: (ref: PodRef) => void): void;
  /** Lifecycle events the node copies into Kubernetes Events (Pulling, Pulled, Created, Started, Failed...). */
  onEvent(listener: (event: BackendEvent) => void): void;
  /** Background work (event streams, polling); resolves when `signal` aborts. */
  run(signal: AbortSignal): Promise<void>;
}
