/**
 * What runs an emulated container group's containers. The emulator owns the API (validation, states, events, quotas);
 * a GroupRuntime owns processes. Two implementations: FakeRuntime (in memory, scripted, for unit tests) and
 * BackendRuntime (each group becomes a pod on any virtual-node Backend, e.g. Podman through DockerBackend).
 *
 * Contract: `create` prepares (pulls images, creates containers) without starting; `start` starts init containers
 * one after another (each must exit 0) and then the app containers, returning once that sequence is launched (it
 * may continue in the background); `status` is cheap and returns undefined for an unknown group; `delete` is
 * idempotent. Timestamps in logs are the runtime's own (the emulator filters and formats them).
 */
import type { Readable, Writable } from 'node:stream';

export interface RuntimeContainer {
  name: string;
  image: string;
  imagePullPolicy?: string;
  /** ECI `Command` (the entrypoint override); empty means the image's own. */
  command: string[];
  /** ECI `Arg`. */
  args: string[];
  env: [string, string][];
  workingDir?: string;
  stdin: boolean;
  tty: boolean;
  ports: { port: number; protocol: string }[];
  volumeMounts: { name: string; mountPath: string; readOnly: boolean; subPath?: string }[];
  cpu?: number;
  memoryGiB?: number;
}

export interface RuntimeVolume {
  name: string;
  type: 'EmptyDirVolume' | 'ConfigFileVolume' | 'NFSVolume';
  /** ConfigFileVolume contents (decoded). */
  files?: { path: string; content: Buffer; mode?: number }[];
  medium?: string;
  nfs?: { server: string; path: string; readOnly: boolean };
}

export interface RuntimeGroup {
  id: string;
  name: string;
  restartPolicy: 'Always' | 'OnFailure' | 'Never';
  initContainers: RuntimeContainer[];
  containers: RuntimeContainer[];
  volumes: RuntimeVolume[];
  registryCredentials: { server: string; userName: string; password: string }[];
  terminationGracePeriodSeconds?: number;
}

export interface RuntimeContainerStatus {
  name: string;
  state: 'Waiting' | 'Running' | 'Terminated';
  exitCode?: number;
  reason?: string;
  message?: string;
  startTime?: Date;
  finishTime?: Date;
  restartCount: number;
}

export interface RuntimeGroupStatus {
  initContainers: RuntimeContainerStatus[];
  containers: RuntimeContainerStatus[];
  ip?: string;
}

export interface LogLine {
  time: Date;
  stream: 'stdout' | 'stderr';
  /** One line, without its newline. */
  text: string;
}

export interface RuntimeExecIo {
  stdin?: Readable;
  stdout: Writable;
  stderr: Writable;
  tty: boolean;
}

export interface GroupRuntime {
  create(group: RuntimeGroup): Promise<void>;
  start(groupId: string): Promise<void>;
  delete(groupId: string, gracePeriodSeconds: number): Promise<void>;
  status(groupId: string): Promise<RuntimeGroupStatus | undefined>;
  logs(groupId: string, container: string): Promise<LogLine[]>;
  /** Resolves with the exit code; rejects when the group or container is unknown or not running. */
  exec(groupId: string, container: string, command: string[], io: RuntimeExecIo, signal: AbortSignal): Promise<number>;
  close?(): Promise<void>;
  /** The group's running containers' usage now; undefined when the runtime cannot tell. */
  usage?(groupId: string): Promise<RuntimeContainerUsage[] | undefined>;
}

export interface RuntimeContainerUsage {
  name: string;
  cpuUsageCoreNanoSeconds: number;
  memoryWorkingSetBytes: number;
  memoryUsageBytes?: number;
}
