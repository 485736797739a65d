/**
 * DescribeContainerGroups answers → BackendPodStatus. The published group states (API reference,
 * DescribeContainerGroups › ContainerGroups.Status) and the pod phase each becomes:
 *   Scheduling, Pending                → Pending (being placed / pulling and starting)
 *   ScheduleFailed                     → Failed: ECI could not create the group (no stock, no instance type, …) and
 *                                        will not try again; the reason is the group's last Warning event
 *   Running, Restarting                → Running (a restart keeps the pod's phase, as on a kubelet)
 *   Updating                           → Running while a container runs, else Pending (an update never ends a group)
 *   Terminating                        → from the container states (a pod being stopped keeps its phase until its
 *                                        containers have ended)
 *   Succeeded / Failed                 → Succeeded / Failed
 *   Expired                            → Failed (spot reclaimed or past its deadline)
 * Container states: Waiting, Running, Terminated.
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

/** Group states after which nothing runs again: the status poller stops following them. */
export const TERMINAL_GROUP_STATES: ReadonlySet<string> = new Set(['Succeeded', 'Failed', 'Expired', 'ScheduleFailed']);

/** The pod phase of a group state (see the table above); undefined: derive it from the container states. */
export function groupPhase(status: string, anyContainerRunning: boolean): BackendPodStatus['phase'] {
  switch (status) {
    case 'Scheduling':
    case 'Pending':
      return 'Pending';
    case 'Running':
    case 'Restarting':
      return 'Running';
    case 'Updating':
      return anyContainerRunning ? 'Running' : 'Pending';
    case 'Terminating':
      return undefined;
    case 'Succeeded':
      return 'Succeeded';
    case 'Failed':
    case 'Expired':
    case 'ScheduleFailed':
      return 'Failed';
    default:
      return 'Pending'; // a state this node does not know yet: wait rather than end the pod
  }
}

/** The newest Warning event of the group (by LastTimestamp, else list order). */
function lastWarning(g: EciContainerGroup): EciEvent | undefined {
  const warnings = (g.Events ?? []).filter((e) => e.Type === 'Warning');
  return warnings.sort((a, b) => (a.LastTimestamp ?? '').localeCompare(b.LastTimestamp ?? '')).at(-1);
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
  const anyRunning = [...initContainers, ...containers].some((c) => c.state === 'running');
  const phase: BackendPodStatus['phase'] = noImage ? 'Failed' : groupPhase(g.Status, anyRunning);
  const scheduleFailure = g.Status === 'ScheduleFailed' ? lastWarning(g) : undefined;
  return {
    ...(phase ? { phase } : {}),
    ...(g.Status === 'Expired'
      ? { reason: 'SpotReclaimed', message: 'the ECI container group was reclaimed (spot) or expired' }
      : {}),
    ...(g.Status === 'ScheduleFailed'
      ? {
          reason: 'ScheduleFailed',
          message: scheduleFailure
            ? `ECI could not schedule the container group: ${scheduleFailure.Reason ?? ''}${scheduleFailure.Reason && scheduleFailure.Message ? ': ' : ''}${scheduleFailure.Message ?? ''}`
            : 'ECI could not schedule the container group',
        }
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
