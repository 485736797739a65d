/**
 * DescribeContainerGroups answers → BackendPodStatus. ECI group states: Scheduling, Pending, Restarting, Running,
 * Succeeded, Failed, Expired (spot reclaimed / expired); container states: Waiting, Running, Terminated.
 */
import type { BackendPodStatus, ContainerRuntimeState } from '../backend.js';

export interface EciContainerState {
  State?: string;
  DetailStatus?: string;
  ExitCode?: number;
  Reason?: string;
  Message?: string;
  StartTime?: string;
  FinishTime?: string;
}

export interface EciContainer {
  Name: string;
  Image: string;
  Ready?: boolean;
  RestartCount?: number;
  CurrentState?: EciContainerState;
}

export interface EciEvent {
  Type?: string;
  Reason?: string;
  Message?: string;
  FirstTimestamp?: string;
  LastTimestamp?: string;
  Count?: number;
}

export interface EciContainerGroup {
  ContainerGroupId: string;
  ContainerGroupName?: string;
  Status: string;
  IntranetIp?: string;
  CreationTime?: string;
  SucceededTime?: string;
  FailedTime?: string;
  Containers?: EciContainer[];
  InitContainers?: EciContainer[];
  Events?: EciEvent[];
  Tags?: { Key: string; Value: string }[];
  Volumes?: { Name: string; Type: string }[];
  /** NoSpot, SpotAsPriceGo or SpotWithPriceLimit: a spot group may be reclaimed (SpotToBeReleased, then Expired). */
  SpotStrategy?: string;
}

const date = (s?: string) => (s ? new Date(s) : undefined);

/** The first of `names` that `message` names as `container NAME` or `container "NAME"`. */
export function containerNamed(message: string | undefined, names: string[]): string | undefined {
  if (!message) return undefined;
  const escape = (n: string) => n.replace(/[^a-z0-9-]/gi, '\\$&');
  return names.find((n) => new RegExp(`container "?${escape(n)}"?(?=[\\s:,;.)]|$)`).test(message));
}

/** The group's OOM kills: "OOMKilling" (the kernel's memory cgroup), "OOMKilled" in newer ECI event lists. */
const isOomEvent = (e: EciEvent) => /^OOMKill/i.test(e.Reason ?? '');

/**
 * `oomEvent`: an OOM event of the group names this container (or names none). A container that ended with 137 (or
 * without an exit code) was then ended by the OOM killer, even when its own state only says Error.
 */
export function containerState(c: EciContainer, oomEvent = false): ContainerRuntimeState {
  const s = c.CurrentState ?? {};
  const base = { name: c.Name, image: c.Image, restartCount: c.RestartCount ?? 0 };
  switch (s.State) {
    case 'Running':
      return { ...base, state: 'running', ...(date(s.StartTime) ? { startedAt: date(s.StartTime)! } : {}) };
    case 'Terminated': {
      const oom =
        /OOM/i.test(`${s.Reason ?? ''} ${s.DetailStatus ?? ''}`) ||
        (oomEvent && (s.ExitCode === undefined || s.ExitCode === 137));
      return {
        ...base,
        state: 'terminated',
        exitCode: s.ExitCode ?? (oom ? 137 : 0),
        reason: oom ? 'OOMKilled' : (s.Reason ?? ((s.ExitCode ?? 0) === 0 ? 'Completed' : 'Error')),
        ...(s.Message ? { message: s.Message } : {}),
        ...(date(s.StartTime) ? { startedAt: date(s.StartTime)! } : {}),
        ...(date(s.FinishTime) ? { finishedAt: date(s.FinishTime)! } : {}),
      };
    }
    default:
      return {
        ...base,
        state: 'waiting',
        reason: s.Reason ?? s.DetailStatus ?? 'ContainerCreating',
        ...(s.Message ? { message: s.Message } : {}),
      };
  }
}

/** Container reasons that mean the image will not come: the pod fails now (as on the docker backend) rather than wait. */
const IMAGE_FAILURES = new Set(['ErrImagePull', 'ImagePullBackOff', 'ErrImageNeverPull', 'InvalidImageName']);

/** The containers the group's OOM events are about (every container when an event names none). */
function oomContainers(g: EciContainerGroup): Set<string> {
  const names = [...(g.InitContainers ?? []), ...(g.Containers ?? [])].map((c) => c.Name);
  const found = new Set<string>();
  for (const e of (g.Events ?? []).filter(isOomEvent)) {
    const named = containerNamed(e.Message, names);
    for (const n of named ? [named] : names) found.add(n);
  }
  return found;
}

export function podStatus(g: EciContainerGroup): BackendPodStatus {
  const oom = oomContainers(g);
  const state = (c: EciContainer) => containerState(c, oom.has(c.Name));
  const containers = (g.Containers ?? []).map(state);
  const initContainers = (g.InitContainers ?? []).map(state);
  const noImage =
    g.Status === 'Pending' || g.Status === 'Scheduling'
      ? [...initContainers, ...containers].find((c) => c.state === 'waiting' && IMAGE_FAILURES.has(c.reason ?? ''))
      : undefined;
  const phase: BackendPodStatus['phase'] = noImage
    ? 'Failed'
    : g.Status === 'Running' || g.Status === 'Restarting'
      ? 'Running'
      : g.Status === 'Succeeded'
        ? 'Succeeded'
        : g.Status === 'Failed' || g.Status === 'Expired'
          ? 'Failed'
          : 'Pending';
  return {
    phase,
    ...(g.Status === 'Expired'
      ? { reason: 'SpotReclaimed', message: 'the ECI container group was reclaimed (spot) or expired' }
      : {}),
    ...(noImage
      ? { reason: noImage.reason!, message: `container ${noImage.name}: ${noImage.message ?? noImage.reason}` }
      : {}),
    ...(g.IntranetIp ? { podIP: g.IntranetIp } : {}),
    ...(date(g.CreationTime) ? { startTime: date(g.CreationTime)! } : {}),
    initContainers,
    containers,
  };
}
