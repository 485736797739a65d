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
}

const date = (s?: string) => (s ? new Date(s) : undefined);

export function containerState(c: EciContainer): ContainerRuntimeState {
  const s = c.CurrentState ?? {};
  const base = { name: c.Name, image: c.Image, restartCount: c.RestartCount ?? 0 };
  switch (s.State) {
    case 'Running':
      return { ...base, state: 'running', ...(date(s.StartTime) ? { startedAt: date(s.StartTime)! } : {}) };
    case 'Terminated': {
      const oom = /OOM/i.test(`${s.Reason ?? ''} ${s.DetailStatus ?? ''}`);
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

export function podStatus(g: EciContainerGroup): BackendPodStatus {
  const containers = (g.Containers ?? []).map(containerState);
  const initContainers = (g.InitContainers ?? []).map(containerState);
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
