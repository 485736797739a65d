/**
 * The emulated container groups: their lifecycle (Scheduling → Pending → Running → Succeeded/Failed, or Expired
 * when a test reclaims a spot instance) with configurable delays, the events the service records on the way
 * (Scheduled, Pulling and then Pulled or Failed for each image, Created, Started, OOMKilling when the runtime reports
 * a container OOMKilled, SpotToBeReleased `spotNoticeMs` before a spot group is reclaimed), the change times that
 * DescribeContainerGroupStatus' SinceSecond filters on, and retention of finished groups (1 h by default).
 *
 * Not modelled: restarts under RestartPolicy Always/OnFailure (a finished container ends the group), updates, and
 * ActiveDeadlineSeconds.
 */
import { realClock, type EmulatorClock } from './clock.js';
import type { GroupMeta } from './create-request.js';
import type { GroupRuntime, RuntimeContainerStatus, RuntimeGroup, RuntimeGroupStatus } from './runtime.js';

export interface Delays {
  /** Scheduling → Pending. */
  scheduleMs: number;
  /** Per group, for pulling its images. */
  pullMs: number;
  /** Pull time when an image cache matched. */
  cachedPullMs: number;
  /** CreateImageCache: Preparing → Ready. */
  imageCacheMs: number;
  /** A spot group's SpotToBeReleased warning → its release (Expired). */
  spotNoticeMs: number;
  /**
   * Optional: the pull time of a group's images when no image cache matched (default `pullMs` for every group), so a
   * benchmark can make pull time grow with image size.
   */
  pullMsFor?: (images: readonly string[]) => number;
}

/**
 * Roughly what ECI takes (DESIGN.md: a 386 MB image takes ~50 s to prepare, ~0-5 s from a cache; ECI warns about 5
 * minutes before it reclaims a spot instance).
 */
export const REALISTIC_DELAYS: Delays = {
  scheduleMs: 2_000,
  pullMs: 8_000,
  cachedPullMs: 1_000,
  imageCacheMs: 50_000,
  spotNoticeMs: 300_000,
};

/** The published group states (DescribeContainerGroups › Status); the emulator enters the first seven itself. */
export type GroupStatus =
  | 'Scheduling'
  | 'Pending'
  | 'Running'
  | 'Succeeded'
  | 'Failed'
  | 'Expired'
  | 'ScheduleFailed'
  | 'Restarting'
  | 'Updating'
  | 'Terminating';
const TERMINAL = new Set<GroupStatus>(['Succeeded', 'Failed', 'Expired', 'ScheduleFailed']);

/** Why ECI could not place a group (its Warning event): e.g. the zone has no stock of the requested instance type. */
export interface ScheduleFailure {
  reason: string;
  message: string;
}

export interface GroupEvent {
  Count: number;
  Type: 'Normal' | 'Warning';
  Name: string;
  Reason: string;
  Message: string;
  FirstTimestamp: string;
  LastTimestamp: string;
}

export interface EmulatedGroup {
  id: string;
  meta: GroupMeta;
  spec: RuntimeGroup;
  status: GroupStatus;
  creationTime: Date;
  finishedTime?: Date;
  events: GroupEvent[];
  /** Last time status, a container state or the events changed (ms). */
  changedAt: number;
  started: boolean;
  runtime?: RuntimeGroupStatus;
  /** Cancels the lifecycle (on delete). */
  abort: AbortController;
  refreshing?: Promise<void>;
}

const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
function inWords(ms: number): string {
  const [n, unit] = ms >= 60_000 ? [Math.round(ms / 60_000), 'minute'] : [Math.round(ms / 100) / 10, 'second'];
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}
/** Runtime failures (their `reason`) that mean an image could not be pulled. */
const PULL_FAILURE = /ImagePull|ImageNeverPull|InvalidImageName/;

export class GroupStore {
  readonly groups = new Map<string, EmulatedGroup>();
  private seq = 0;
  /** Test hook: the next groups created fail scheduling with these, in order. */
  readonly scheduleFailures: ScheduleFailure[] = [];

  constructor(
    private readonly runtime: GroupRuntime,
    private readonly delays: Delays,
    private readonly retentionMs: number,
    private readonly clock: EmulatorClock = realClock,
  ) {}

  get size(): number {
    return this.groups.size;
  }

  add(meta: GroupMeta, spec: Omit<RuntimeGroup, 'id'>, imageCacheId: string | undefined): EmulatedGroup {
    const id = `eci-${this.clock.now().toString(36)}${(this.seq++).toString(36).padStart(4, '0')}`;
    const g: EmulatedGroup = {
      id,
      meta,
      spec: { ...spec, id },
      status: 'Scheduling',
      creationTime: new Date(this.clock.now()),
      events: [],
      changedAt: this.clock.now(),
      started: false,
      abort: new AbortController(),
    };
    this.groups.set(id, g);
    void this.lifecycle(g, imageCacheId).catch(() => undefined);
    return g;
  }

  get(id: string): EmulatedGroup | undefined {
    this.sweep();
    return this.groups.get(id);
  }

  all(): EmulatedGroup[] {
    this.sweep();
    return [...this.groups.values()];
  }

  event(g: EmulatedGroup, type: GroupEvent['Type'], reason: string, message: string): void {
    const now = iso(new Date(this.clock.now()));
    const same = g.events.find((e) => e.Reason === reason && e.Message === message);
    if (same) {
      same.Count++;
      same.LastTimestamp = now;
    } else
      g.events.push({
        Count: 1,
        Type: type,
        Name: g.id,
        Reason: reason,
        Message: message,
        FirstTimestamp: now,
        LastTimestamp: now,
      });
    g.changedAt = this.clock.now();
  }

  private setStatus(g: EmulatedGroup, status: GroupStatus): void {
    if (g.status === status) return;
    g.status = status;
    g.changedAt = this.clock.now();
    if (TERMINAL.has(status)) g.finishedTime = new Date(this.clock.now());
  }

  private async lifecycle(g: EmulatedGroup, imageCacheId: string | undefined): Promise<void> {
    const signal = g.abort.signal;
    const failure = this.scheduleFailures.shift();
    await this.clock.sleep(this.delays.scheduleMs, signal);
    if (failure) {
      // ECI gives up on the group for good: it never runs, and stays listed as ScheduleFailed until deleted.
      this.event(g, 'Warning', failure.reason, failure.message);
      this.setStatus(g, 'ScheduleFailed');
      return;
    }
    this.setStatus(g, 'Pending');
    this.event(g, 'Normal', 'Scheduled', `Successfully assigned ${g.id} to zone ${g.meta.zoneId}`);
    const images = [...new Set([...g.spec.initContainers, ...g.spec.containers].map((c) => c.image))];
    if (imageCacheId)
      this.event(g, 'Normal', 'SuccessfulHitImageCache', `Successfully hit image cache ${imageCacheId}`);
    const pullStarted = this.clock.now();
    for (const image of images) this.event(g, 'Normal', 'Pulling', `Pulling image "${image}"`);
    const pullMs = imageCacheId ? this.delays.cachedPullMs : (this.delays.pullMsFor?.(images) ?? this.delays.pullMs);
    await this.clock.sleep(pullMs, signal);
    // A runtime pulls while it creates and starts (the docker backend does both in createPod), so an image is
    // Pulled — or Failed — only once that is done.
    try {
      await this.runtime.create(g.spec);
      if (signal.aborted) return;
      await this.runtime.start(g.id);
    } catch (err) {
      if (signal.aborted) return;
      const e = err as Error & { reason?: string };
      if (PULL_FAILURE.test(e.reason ?? '')) this.pullFailed(g, e);
      else {
        this.event(g, 'Warning', 'Failed', `Error: failed to create containers: ${e.message}`);
        this.setStatus(g, 'Failed');
      }
      return;
    }
    const took = `${((this.clock.now() - pullStarted) / 1000).toFixed(3)}s`;
    for (const image of images) this.event(g, 'Normal', 'Pulled', `Successfully pulled image "${image}" in ${took}`);
    for (const c of [...g.spec.initContainers, ...g.spec.containers])
      this.event(g, 'Normal', 'Created', `Created container ${c.name}`);
    g.started = true;
    for (const c of [...g.spec.initContainers, ...g.spec.containers])
      this.event(g, 'Normal', 'Started', `Started container ${c.name}`);
    await this.refresh(g);
  }

  /**
   * What ECI shows when a group's image cannot be pulled: the group stays Pending, the container Waiting with the
   * reason (ErrImagePull) and the registry's message, plus the kubelet's Warning events for each image that failed
   * (`Failed to pull image "…": …`, then `Error: ErrImagePull`).
   * (ECI keeps retrying the pull with back-off; the emulator does not — the answer would be the same.)
   */
  private pullFailed(g: EmulatedGroup, err: Error & { reason?: string }): void {
    const reason = err.reason!;
    const all = [...g.spec.initContainers, ...g.spec.containers];
    const failing = all.filter((c) => err.message.includes(c.image));
    for (const image of new Set((failing.length ? failing : all).map((c) => c.image))) {
      this.event(g, 'Warning', 'Failed', `Failed to pull image "${image}": ${err.message}`);
      this.event(g, 'Warning', 'Failed', `Error: ${reason}`);
    }
    const waiting = (c: RuntimeGroup['containers'][number]): RuntimeContainerStatus =>
      failing.length && !failing.includes(c)
        ? { name: c.name, state: 'Waiting', reason: 'PodInitializing', restartCount: 0 }
        : { name: c.name, state: 'Waiting', reason, message: err.message, restartCount: 0 };
    g.runtime = { initContainers: g.spec.initContainers.map(waiting), containers: g.spec.containers.map(waiting) };
    g.changedAt = this.clock.now();
  }

  /** Brings a group's status up to date with its runtime (one refresh at a time per group). */
  refresh(g: EmulatedGroup): Promise<void> {
    if (!g.started || TERMINAL.has(g.status)) return Promise.resolve();
    g.refreshing ??= this.runtime
      .status(g.id)
      .then((rs) => {
        // The very status object seen last (a runtime that keeps it until something changes): nothing to do.
        if (!rs || rs === g.runtime || TERMINAL.has(g.status)) return;
        const before = JSON.stringify(g.runtime);
        const previous = g.runtime;
        g.runtime = rs;
        if (JSON.stringify(rs) !== before) g.changedAt = this.clock.now();
        for (const c of [...rs.initContainers, ...rs.containers]) {
          const old = [...(previous?.initContainers ?? []), ...(previous?.containers ?? [])].find(
            (x) => x.name === c.name,
          );
          if (c.state === 'Terminated' && old?.state !== 'Terminated' && /OOM/i.test(c.reason ?? ''))
            this.event(g, 'Warning', 'OOMKilling', oomMessage(g, c.name));
          if (c.state === 'Terminated' && old?.state !== 'Terminated' && /StartError|CannotRun/i.test(c.reason ?? ''))
            this.event(
              g,
              'Warning',
              'Failed',
              `Error: failed to start container "${c.name}": ${c.message ?? c.reason}`,
            );
        }
        this.setStatus(g, groupStatus(rs));
      })
      .catch(() => undefined)
      .finally(() => delete g.refreshing);
    return g.refreshing;
  }

  /**
   * Test hook: ECI reclaims the group. A spot group gets a SpotToBeReleased warning first and keeps running for
   * `spotNoticeMs` (about 5 minutes on ECI); then it is Expired and its containers are gone. ECI does not reclaim
   * other groups: those expire at once (as one past its deadline would), without the warning. The test decides when
   * (SpotDuration's protected hour is not modelled). Resolves when the group is Expired — or as soon as it ends
   * otherwise or is deleted.
   */
  async expire(id: string): Promise<void> {
    const g = this.groups.get(id);
    if (!g || TERMINAL.has(g.status)) return;
    if (g.meta.spotStrategy !== 'NoSpot') {
      this.event(g, 'Warning', 'SpotToBeReleased', `Spot ECI will be released in ${inWords(this.delays.spotNoticeMs)}`);
      const noticed = await this.clock.sleep(this.delays.spotNoticeMs, g.abort.signal).then(
        () => true,
        () => false,
      );
      if (!noticed || TERMINAL.has(g.status) || this.groups.get(id) !== g) return;
    }
    this.setStatus(g, 'Expired');
    g.abort.abort(); // a lifecycle still under way stops here
    await this.runtime.delete(id, 0).catch(() => undefined);
  }

  /**
   * Deletes a group and releases its containers. If the runtime cannot release them (its engine unreachable), the
   * group stays listed and the call fails (5xx), so a retried DeleteContainerGroup releases them — not NotFound with
   * the containers still running, which no client could clean up.
   */
  async delete(id: string): Promise<boolean> {
    const g = this.groups.get(id);
    if (!g) return false;
    g.abort.abort();
    this.groups.delete(id);
    try {
      await this.runtime.delete(id, g.spec.terminationGracePeriodSeconds ?? 30);
    } catch (err) {
      if (!this.groups.has(id)) this.groups.set(id, g);
      throw err;
    }
    return true;
  }

  /** Finished groups are kept for `retentionMs`, then they vanish from the API. */
  sweep(now = this.clock.now()): void {
    for (const g of this.groups.values())
      if (g.finishedTime && now - g.finishedTime.getTime() > this.retentionMs) {
        this.groups.delete(g.id);
        g.abort.abort();
        void this.runtime.delete(g.id, 0).catch(() => undefined);
      }
  }

  async close(): Promise<void> {
    for (const g of this.groups.values()) {
      g.abort.abort();
      await this.runtime.delete(g.id, 0).catch(() => undefined);
    }
    this.groups.clear();
  }
}

/** The OOMKilling event's message: what the kernel's memory cgroup reports, naming the container and its limit. */
function oomMessage(g: EmulatedGroup, container: string): string {
  const gib = [...g.spec.initContainers, ...g.spec.containers].find((c) => c.name === container)?.memoryGiB;
  const limit = gib ? ` (memory limit ${Math.round(gib * 1024)} MiB)` : '';
  return `Memory cgroup out of memory: killed the process of container ${container}${limit}`;
}

export function groupStatus(rs: RuntimeGroupStatus): GroupStatus {
  const init = rs.initContainers;
  if (init.some((c) => c.state === 'Terminated' && c.exitCode !== 0)) return 'Failed';
  if (!init.every((c) => c.state === 'Terminated')) return 'Pending';
  if (rs.containers.length && rs.containers.every((c) => c.state === 'Terminated'))
    return rs.containers.every((c) => c.exitCode === 0) ? 'Succeeded' : 'Failed';
  return 'Running';
}

/**
 * One container as DescribeContainerGroups shows it. Field names are the SDK's response models
 * (`@alicloud/eci20180808` DescribeContainerGroupsResponseBodyContainerGroupsContainers and
 * …InitContainers): app containers list their entrypoint as `Commands`, init containers as `Command`; only app
 * containers have Stdin/StdinOnce/Tty, and only their volume mounts a SubPath.
 */
function containerView(
  spec: RuntimeGroup['containers'][number],
  s: RuntimeContainerStatus | undefined,
  started: boolean,
  kind: 'init' | 'app',
) {
  const state: RuntimeContainerStatus = s ?? {
    name: spec.name,
    state: 'Waiting',
    reason: started ? 'PodInitializing' : 'ContainerCreating',
    restartCount: 0,
  };
  return {
    Name: spec.name,
    Image: spec.image,
    ImagePullPolicy: spec.imagePullPolicy ?? 'IfNotPresent',
    Cpu: spec.cpu ?? 0,
    Memory: spec.memoryGiB ?? 0,
    [kind === 'app' ? 'Commands' : 'Command']: spec.command,
    Args: spec.args,
    WorkingDir: spec.workingDir ?? '',
    EnvironmentVars: spec.env.map(([Key, Value]) => ({ Key, Value })),
    Ports: spec.ports.map((p) => ({ Port: p.port, Protocol: p.protocol })),
    VolumeMounts: spec.volumeMounts.map((m) => ({
      Name: m.name,
      MountPath: m.mountPath,
      ReadOnly: m.readOnly,
      ...(kind === 'app' ? { SubPath: m.subPath ?? '' } : {}),
    })),
    ...(kind === 'app' ? { Stdin: spec.stdin, StdinOnce: false, Tty: spec.tty } : {}),
    RestartCount: state.restartCount,
    Ready: state.state === 'Running',
    CurrentState: {
      State: state.state,
      DetailStatus: state.reason ?? '',
      ...(state.exitCode !== undefined ? { ExitCode: state.exitCode } : {}),
      ...(state.reason ? { Reason: state.reason } : {}),
      ...(state.message ? { Message: state.message } : {}),
      ...(state.startTime ? { StartTime: iso(state.startTime) } : {}),
      ...(state.finishTime ? { FinishTime: iso(state.finishTime) } : {}),
    },
  };
}

/**
 * A volume as DescribeContainerGroups shows it (SDK model DescribeContainerGroupsResponseBodyContainerGroupsVolumes):
 * the type's own settings flattened into the volume (`ConfigFileVolumeConfigFileToPaths`, `EmptyDirVolumeMedium`,
 * `NFSVolumeServer`, …), file contents base64 as they were sent.
 */
function volumeView(v: RuntimeGroup['volumes'][number]): Record<string, unknown> {
  switch (v.type) {
    case 'ConfigFileVolume':
      return {
        Name: v.name,
        Type: v.type,
        ConfigFileVolumeConfigFileToPaths: (v.files ?? []).map((f) => ({
          Path: f.path,
          Content: f.content.toString('base64'),
        })),
      };
    case 'EmptyDirVolume':
      return { Name: v.name, Type: v.type, EmptyDirVolumeMedium: v.medium ?? '' };
    case 'NFSVolume':
      return {
        Name: v.name,
        Type: v.type,
        NFSVolumeServer: v.nfs?.server ?? '',
        NFSVolumePath: v.nfs?.path ?? '',
        NFSVolumeReadOnly: v.nfs?.readOnly ?? false,
      };
  }
}

/**
 * One group as DescribeContainerGroupStatus shows it, in the SDK model's names
 * (`@alicloud/eci20180808` DescribeContainerGroupStatusResponseBodyData): the group's `Name`, and a Kubernetes-style
 * `PodStatus` whose container states are objects keyed by the state (`State.Terminated.ExitCode`), not the
 * CurrentState form of DescribeContainerGroups. `State.Running` is left empty: the SDK model names its start time
 * `StartedAtstartedAt` (as generated), which cannot be told apart from a generator slip, so no name is guessed.
 */
export function statusView(g: EmulatedGroup): Record<string, unknown> {
  const phase = isTerminal(g.status)
    ? g.status === 'Succeeded'
      ? 'Succeeded'
      : 'Failed'
    : g.status === 'Running'
      ? 'Running'
      : 'Pending';
  const firstStart = [...(g.runtime?.initContainers ?? []), ...(g.runtime?.containers ?? [])]
    .map((c) => c.startTime)
    .filter((t): t is Date => t !== undefined)
    .sort((a, b) => a.getTime() - b.getTime())[0];
  return {
    ContainerGroupId: g.id,
    Name: g.meta.name,
    Status: g.status,
    PodStatus: {
      Phase: phase,
      ...(g.runtime?.ip && g.status !== 'Scheduling' ? { PodIp: g.runtime.ip } : {}),
      ...(firstStart ? { StartTime: iso(firstStart) } : {}),
      ContainerStatuses: g.spec.containers.map((spec) => {
        const s = g.runtime?.containers.find((c) => c.name === spec.name);
        return {
          Name: spec.name,
          Image: spec.image,
          Ready: s?.state === 'Running',
          Started: s?.state === 'Running',
          RestartCount: s?.restartCount ?? 0,
          State: stateObject(s, g.started),
        };
      }),
    },
  };
}

function stateObject(s: RuntimeContainerStatus | undefined, started: boolean): Record<string, unknown> {
  if (!s) return { Waiting: { Reason: started ? 'PodInitializing' : 'ContainerCreating', Message: '' } };
  switch (s.state) {
    case 'Running':
      return { Running: {} };
    case 'Terminated':
      return {
        Terminated: {
          ExitCode: s.exitCode ?? 0,
          Reason: s.reason ?? '',
          Message: s.message ?? '',
          ...(s.startTime ? { StartedAt: iso(s.startTime) } : {}),
          ...(s.finishTime ? { FinishedAt: iso(s.finishTime) } : {}),
        },
      };
    case 'Waiting':
      return { Waiting: { Reason: s.reason ?? '', Message: s.message ?? '' } };
  }
}

/**
 * The DescribeContainerGroups shape of one group, in the SDK model's names (`@alicloud/eci20180808`
 * DescribeContainerGroupsResponseBodyContainerGroups; sdk-contract.test.ts holds it to the model).
 */
export function describeGroup(g: EmulatedGroup): Record<string, unknown> {
  const find = (list: RuntimeContainerStatus[] | undefined, name: string) => list?.find((c) => c.name === name);
  return {
    ContainerGroupId: g.id,
    ContainerGroupName: g.meta.name,
    RegionId: g.meta.regionId,
    ZoneId: g.meta.zoneId,
    VSwitchId: g.meta.vSwitchId,
    SecurityGroupId: g.meta.securityGroupId,
    Status: g.status,
    RestartPolicy: g.meta.restartPolicy,
    Cpu: g.meta.cpu ?? g.spec.containers.reduce((n, c) => n + (c.cpu ?? 0), 0),
    Memory: g.meta.memory ?? g.spec.containers.reduce((n, c) => n + (c.memoryGiB ?? 0), 0),
    ...(g.meta.instanceType ? { InstanceType: g.meta.instanceType } : {}),
    SpotStrategy: g.meta.spotStrategy,
    ...(g.meta.spotPriceLimit !== undefined ? { SpotPriceLimit: g.meta.spotPriceLimit } : {}),
    ...(g.runtime?.ip && g.status !== 'Scheduling' ? { IntranetIp: g.runtime.ip } : {}),
    CreationTime: iso(g.creationTime),
    ...(g.status === 'Succeeded' && g.finishedTime ? { SucceededTime: iso(g.finishedTime) } : {}),
    ...(g.status === 'Failed' && g.finishedTime ? { FailedTime: iso(g.finishedTime) } : {}),
    ...(g.status === 'Expired' && g.finishedTime ? { ExpiredTime: iso(g.finishedTime) } : {}),
    Containers: g.spec.containers.map((c) => containerView(c, find(g.runtime?.containers, c.name), g.started, 'app')),
    InitContainers: g.spec.initContainers.map((c) =>
      containerView(c, find(g.runtime?.initContainers, c.name), g.started, 'init'),
    ),
    Volumes: g.spec.volumes.map(volumeView),
    Events: g.events.map((e) => ({ ...e })),
    Tags: g.meta.tags.map((t) => ({ ...t })),
  };
}

export const isTerminal = (s: GroupStatus) => TERMINAL.has(s);
