/**
 * Turns what a backend reports into the pod status the kubelet would write (pure): phase, conditions, container
 * statuses with exit codes. Phase follows the kubelet's rules for restartPolicy; a backend may override it.
 */
import type { V1ContainerState, V1ContainerStatus, V1Pod, V1PodCondition, V1PodStatus } from '@kubernetes/client-node';
import type { BackendPodStatus, ContainerRuntimeState } from '../backends/backend.js';

type Phase = NonNullable<BackendPodStatus['phase']>;

function containerState(c: ContainerRuntimeState): V1ContainerState {
  switch (c.state) {
    case 'running':
      return { running: { startedAt: c.startedAt ?? new Date() } };
    case 'terminated':
      return {
        terminated: {
          exitCode: c.exitCode ?? 0,
          reason: c.reason ?? (c.exitCode === 0 ? 'Completed' : 'Error'),
          ...(c.message ? { message: c.message } : {}),
          ...(c.startedAt ? { startedAt: c.startedAt } : {}),
          ...(c.finishedAt ? { finishedAt: c.finishedAt } : {}),
          ...(c.containerID ? { containerID: c.containerID } : {}),
        },
      };
    case 'waiting':
      return { waiting: { reason: c.reason ?? 'ContainerCreating', ...(c.message ? { message: c.message } : {}) } };
  }
}

export function containerStatus(c: ContainerRuntimeState): V1ContainerStatus {
  return {
    name: c.name,
    image: c.image,
    imageID: c.imageID ?? '',
    ...(c.containerID ? { containerID: c.containerID } : {}),
    ready: c.state === 'running',
    started: c.state === 'running',
    restartCount: c.restartCount,
    state: containerState(c),
  };
}

/**
 * Placeholder statuses for a pod the backend has not created yet. The reason goes to the first init container (or
 * every container without one) — unless it is about one image (`image`: a pull failure), then to the containers
 * of that image, as a kubelet would report it, and the others wait.
 */
export function waitingContainers(
  pod: V1Pod,
  reason = 'ContainerCreating',
  message?: string,
  image?: string,
): BackendPodStatus {
  const waiting = (name: string, image: string | undefined, r: string, said = message): ContainerRuntimeState => ({
    name,
    image: image ?? '',
    state: 'waiting',
    reason: r,
    ...(said ? { message: said } : {}),
    restartCount: 0,
  });
  const hasInit = (pod.spec?.initContainers?.length ?? 0) > 0;
  if (image !== undefined) {
    const of = (c: { name: string; image?: string }, other: string) =>
      c.image === image ? waiting(c.name, c.image, reason) : waiting(c.name, c.image, other, '');
    return {
      initContainers: (pod.spec?.initContainers ?? []).map((c) => of(c, 'PodInitializing')),
      containers: (pod.spec?.containers ?? []).map((c) => of(c, hasInit ? 'PodInitializing' : 'ContainerCreating')),
    };
  }
  return {
    initContainers: (pod.spec?.initContainers ?? []).map((c, i) =>
      waiting(c.name, c.image, i === 0 ? reason : 'PodInitializing'),
    ),
    containers: (pod.spec?.containers ?? []).map((c) => waiting(c.name, c.image, hasInit ? 'PodInitializing' : reason)),
  };
}

export function derivePhase(pod: V1Pod, s: BackendPodStatus): Phase {
  if (s.phase) return s.phase;
  const policy = pod.spec?.restartPolicy ?? 'Always';
  const failedInit = s.initContainers.some((c) => c.state === 'terminated' && (c.exitCode ?? 0) !== 0);
  if (failedInit && policy === 'Never') return 'Failed';
  const all = s.containers;
  if (all.length > 0 && all.every((c) => c.state === 'terminated')) {
    const allOk = all.every((c) => c.exitCode === 0);
    if (policy === 'Never') return allOk ? 'Succeeded' : 'Failed';
    if (policy === 'OnFailure' && allOk) return 'Succeeded';
    return 'Running'; // the backend restarts them
  }
  if (all.some((c) => c.state === 'running' || c.state === 'terminated')) return 'Running';
  return 'Pending';
}

function condition(
  type: string,
  ok: boolean,
  now: Date,
  previous: V1PodCondition[] | undefined,
  reason?: string,
): V1PodCondition {
  const status = ok ? 'True' : 'False';
  const prior = previous?.find((c) => c.type === type);
  return {
    type,
    status,
    lastProbeTime: null as unknown as Date,
    lastTransitionTime: prior?.status === status && prior.lastTransitionTime ? prior.lastTransitionTime : now,
    ...(!ok && reason ? { reason } : {}),
  };
}

/**
 * A container that terminated and will not be restarted stays terminated, even if the backend later forgets why
 * (an engine does not persist start errors across restarts): the API server rejects the regression, as it rejects
 * leaving a terminal pod phase.
 */
function keepTerminal(
  pod: V1Pod,
  previous: V1ContainerStatus[] | undefined,
  states: V1ContainerStatus[],
): V1ContainerStatus[] {
  if ((pod.spec?.restartPolicy ?? 'Always') === 'Always') return states;
  return states.map((c) => {
    const prior = previous?.find((p) => p.name === c.name);
    return prior?.state?.terminated && !c.state?.terminated ? prior : c;
  });
}

export function buildPodStatus(pod: V1Pod, s: BackendPodStatus, hostIP: string, now = new Date()): V1PodStatus {
  const priorPhase = pod.status?.phase;
  const phase = priorPhase === 'Succeeded' || priorPhase === 'Failed' ? priorPhase : derivePhase(pod, s);
  const initDone = s.initContainers.every((c) => c.state === 'terminated' && c.exitCode === 0);
  const running = s.containers.length > 0 && s.containers.every((c) => c.state === 'running');
  const terminal = phase === 'Succeeded' || phase === 'Failed';
  const previous = pod.status?.conditions;
  const podIP = s.podIP ?? pod.status?.podIP;
  return {
    phase,
    ...(s.reason ? { reason: s.reason } : {}),
    ...(s.message ? { message: s.message } : {}),
    hostIP,
    hostIPs: [{ ip: hostIP }],
    ...(podIP ? { podIP, podIPs: [{ ip: podIP }] } : {}),
    startTime: pod.status?.startTime ?? s.startTime ?? now,
    conditions: [
      condition('PodReadyToStartContainers', !!podIP || running || terminal, now, previous),
      condition('Initialized', initDone, now, previous, 'ContainersNotInitialized'),
      condition('Ready', running && !terminal, now, previous, terminal ? 'PodCompleted' : 'ContainersNotReady'),
      condition(
        'ContainersReady',
        running && !terminal,
        now,
        previous,
        terminal ? 'PodCompleted' : 'ContainersNotReady',
      ),
      condition('PodScheduled', true, now, previous),
    ],
    ...(s.initContainers.length
      ? {
          initContainerStatuses: keepTerminal(
            pod,
            pod.status?.initContainerStatuses,
            s.initContainers.map(containerStatus),
          ),
        }
      : {}),
    containerStatuses: keepTerminal(pod, pod.status?.containerStatuses, s.containers.map(containerStatus)),
    qosClass: pod.status?.qosClass ?? 'BestEffort',
  };
}

const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/**
 * What decides whether a status is worth a PATCH: the status without the conditions' transition times, and with
 * every time as the API server keeps it (metav1.Time: RFC 3339 in whole seconds). The pod a status is built from
 * comes now from the pod watch (times as strings, `…:17Z`) and now from a PATCH answer (times as Dates, `…:17.000Z`);
 * compared as written, the same status differed by form alone, and the node PATCHed it again — in a fleet run ~0.85
 * needless PATCHes per pod, ~250 at once on every 30 s resync.
 */
export function statusFingerprint(status: V1PodStatus): string {
  return JSON.stringify(
    { ...status, conditions: status.conditions?.map((c) => [c.type, c.status, c.reason]) },
    (_key, value: unknown) =>
      typeof value === 'string' && RFC3339_UTC.test(value) ? value.replace(/\.\d+Z$/, 'Z') : value,
  );
}
