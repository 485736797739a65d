/**
 * Waits (by watch) until a job pod runs, and fails fast, saying why, when it cannot: a service, job or step container
 * that exited or crashed, or whose image cannot be pulled, fails the wait as soon as the pod reports it — naming the
 * container as the workflow does (`services.<name>`), with its exit code or pull error and the last lines of its log.
 * When the pod simply does not start in time, the error says what it is still waiting for (not scheduled and the
 * scheduler's message, containers still being created) rather than guessing.
 *
 * The reading of a pod's status is pure (startFailure, containerFailure, pendingReason) and tested without a cluster.
 */
import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import {
  Cancelled,
  CONTAINER,
  InvalidInput,
  isServiceContainer,
  isStepContainer,
  serviceContainerName,
  Timeout,
} from '@eci-virtual/contract';
import type { KubeClients } from '../kube/client.js';

/** Lines of a failed container's log quoted in the error. */
export const LOG_TAIL_LINES = 20;
const LOG_LIMIT_BYTES = 8 * 1024;
const LOG_READ_TIMEOUT_MS = 5_000;

/** Waiting reasons a container does not recover from by itself within a job's patience. */
const FATAL_WAITING = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'ErrImageNeverPull',
  'CrashLoopBackOff',
  'CreateContainerError',
  'CreateContainerConfigError',
  'RunContainerError',
]);

/** A container as the workflow names it: `services.db`, the job container, a `docker://` step's container. */
export function containerLabel(name: string): string {
  if (isServiceContainer(name)) return `services.${name.slice(serviceContainerName('').length)}`;
  if (name === CONTAINER.job) return 'the job container';
  if (isStepContainer(name)) return `the docker:// step container ${name}`;
  return `container ${name}`;
}

export interface ContainerFailure {
  /** The container's name in the pod. */
  container: string;
  /** What went wrong: `exited with code 1 (Error)`, `ImagePullBackOff: …`. */
  problem: string;
  /** Whether the container ran, so its log is worth reading. */
  ran: boolean;
}

/** The first container that will not run: exited or crashed (every job pod container is meant to stay up), or cannot pull. */
export function containerFailure(pod: V1Pod): ContainerFailure | undefined {
  const check = (c: V1ContainerStatus, init: boolean): ContainerFailure | undefined => {
    const waiting = c.state?.waiting;
    if (waiting?.reason && FATAL_WAITING.has(waiting.reason))
      return {
        container: c.name,
        problem: `${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}`,
        ran: waiting.reason === 'CrashLoopBackOff',
      };
    const ended = c.state?.terminated ?? (c.restartCount > 0 ? c.lastState?.terminated : undefined);
    // An init container that finished with 0 did its job.
    if (!ended || (init && ended.exitCode === 0)) return undefined;
    const why = ended.reason && ended.reason !== 'Completed' && ended.reason !== 'Error' ? ` (${ended.reason})` : '';
    return {
      container: c.name,
      problem: `exited with code ${ended.exitCode}${why}${ended.message ? `: ${ended.message.trim()}` : ''}`,
      ran: true,
    };
  };
  for (const c of pod.status?.initContainerStatuses ?? []) {
    const f = check(c, true);
    if (f) return f;
  }
  // Services first: a job container stopped because its pod is failing is a consequence, not the cause.
  const statuses = [...(pod.status?.containerStatuses ?? [])].sort(
    (a, b) => Number(isServiceContainer(b.name)) - Number(isServiceContainer(a.name)),
  );
  for (const c of statuses) {
    const f = check(c, false);
    if (f) return f;
  }
  return undefined;
}

/** A pod that ended (Failed/Succeeded) before the job started, without a container to blame. */
export function startFailure(pod: V1Pod): string | undefined {
  if (pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded') {
    const detail = [pod.status.reason, pod.status.message].filter(Boolean).join(': ');
    return `pod ${pod.metadata?.name} ${pod.status.phase.toLowerCase()} before the job started${detail ? `: ${detail}` : ''}`;
  }
  return undefined;
}

/** What a pod that is not running yet is waiting for, in words. */
export function pendingReason(pod: V1Pod | undefined): string {
  if (!pod) return 'the pod was never seen (is the API server reachable?)';
  if (!pod.spec?.nodeName) {
    const cond = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    const why = cond?.message ?? cond?.reason;
    return `not scheduled${why ? `: ${why}` : ' (is a virtual node Ready? kubectl get nodes)'}`;
  }
  const statuses = pod.status?.containerStatuses ?? [];
  if (!statuses.length)
    return `scheduled on ${pod.spec.nodeName}, which has reported no container status yet (is its node process running?)`;
  const waiting = statuses
    .filter((c) => !c.state?.running)
    .map((c) => {
      const w = c.state?.waiting;
      return `${containerLabel(c.name)}: ${w?.reason ?? 'not running'}${w?.message ? ` (${w.message})` : ''}`;
    });
  return `scheduled on ${pod.spec.nodeName}; waiting for ${waiting.length ? waiting.join(', ') : 'the pod to report Running'}`;
}

/** The last lines of a container's log, bounded in lines, bytes and time; '' when it cannot be read. */
async function logTail(kube: KubeClients, namespace: string, pod: string, container: string): Promise<string> {
  const read = kube.core
    .readNamespacedPodLog({ namespace, name: pod, container, tailLines: LOG_TAIL_LINES, limitBytes: LOG_LIMIT_BYTES })
    .then((text) => String(text ?? ''))
    .catch(() => '');
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<string>((resolve) => (timer = setTimeout(() => resolve(''), LOG_READ_TIMEOUT_MS)));
  const text = await Promise.race([read, late]);
  clearTimeout(timer);
  return text.trimEnd().split('\n').slice(-LOG_TAIL_LINES).join('\n');
}

/** The error for a container that will not run, with its log when it ran. */
export function containerFailureMessage(pod: string, f: ContainerFailure, log: string): string {
  const name = containerLabel(f.container);
  const which = name.startsWith('services.') ? `${name} (container ${f.container})` : name;
  const tail = log.trim()
    ? `; its last log lines:\n${log
        .split('\n')
        .map((l) => `  | ${l}`)
        .join('\n')}`
    : f.ran
      ? '; its log is empty'
      : '';
  return `${which} in pod ${pod} ${f.problem}${tail}`;
}

export async function waitForRunning(
  kube: KubeClients,
  namespace: string,
  name: string,
  opts: { timeoutMs: number; signal?: AbortSignal; onScheduled?: (node: string) => void },
): Promise<V1Pod> {
  let scheduledReported = false;
  let last: V1Pod | undefined;
  return new Promise<V1Pod>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        failing ||
        finish(
          new Timeout(
            `pod ${namespace}/${name} did not start within ${opts.timeoutMs / 1000} s: ${pendingReason(last)}`,
          ),
        ),
      opts.timeoutMs,
    );
    const onAbort = () => finish(new Cancelled('cancelled while waiting for the job pod'));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    let done = false;
    let failing = false;
    function finish(err: Error | undefined, pod?: V1Pod): void {
      if (done) return;
      done = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      stopWatch();
      if (err) reject(err);
      else resolve(pod!);
    }
    const check = (pod: V1Pod) => {
      if (done || failing) return;
      last = pod;
      if (pod.spec?.nodeName && !scheduledReported) {
        scheduledReported = true;
        opts.onScheduled?.(pod.spec.nodeName);
      }
      const broken = containerFailure(pod);
      if (broken) {
        // Read its log first (bounded), then fail; later pod updates change nothing.
        failing = true;
        const read = broken.ran ? logTail(kube, namespace, name, broken.container) : Promise.resolve('');
        void read.then((log) => finish(new InvalidInput(containerFailureMessage(name, broken, log))));
        return;
      }
      const failure = startFailure(pod);
      if (failure) return finish(new InvalidInput(failure));
      if (pod.status?.phase === 'Running' && pod.status.containerStatuses?.every((c) => c.state?.running))
        finish(undefined, pod);
    };
    // Every call of finish() comes from a callback or timer, after this line ran.
    const stopWatch = watchPod(kube, namespace, name, check, (err) => {
      if (!done && !failing) finish(err);
    });
  });
}

/**
 * Calls `onPod` with the pod's current state and then every update, by watch, until the returned function is called.
 * `onError` gets a watch that could not start or ended in error.
 */
export function watchPod(
  kube: KubeClients,
  namespace: string,
  name: string,
  onPod: (pod: V1Pod) => void,
  onError: (err: Error) => void,
): () => void {
  let stopped = false;
  let req: { abort: () => void } | undefined;
  const asError = (err: unknown) => (err instanceof Error ? err : new Error(String(err)));
  kube.watch
    .watch(
      `/api/v1/namespaces/${namespace}/pods`,
      { fieldSelector: `metadata.name=${name}` },
      (_type, pod: V1Pod) => stopped || onPod(pod),
      (err) => {
        if (!stopped && err) onError(asError(err));
      },
    )
    .then((r) => {
      req = r;
      if (stopped) r.abort();
    })
    .catch((err: unknown) => stopped || onError(asError(err)));
  // The watch may start after the pod changed: read its current state once too.
  kube.core
    .readNamespacedPod({ namespace, name })
    .then((pod) => stopped || onPod(pod))
    .catch(() => undefined);
  return () => {
    stopped = true;
    req?.abort();
  };
}

/**
 * Watches a running job pod for a container that stops (a service that exits or crashes, a job container killed):
 * every container of a job pod is meant to stay up until the job ends, so one that stops fails the job — the steps
 * would otherwise run against a database that is gone, or pass without the service they test. `onFailure` gets the
 * error once, with the container's last log lines. Watch errors are not failures (the job goes on unguarded).
 */
export function guardContainers(
  kube: KubeClients,
  namespace: string,
  name: string,
  onFailure: (err: InvalidInput) => void,
): { stop: () => void } {
  let failed = false;
  let stopped = false;
  const stop = watchPod(
    kube,
    namespace,
    name,
    (pod) => {
      const broken = failed ? undefined : containerFailure(pod);
      if (!broken) return;
      failed = true;
      const read = broken.ran ? logTail(kube, namespace, name, broken.container) : Promise.resolve('');
      void read.then((log) => stopped || onFailure(new InvalidInput(containerFailureMessage(name, broken, log))));
    },
    () => undefined,
  );
  return {
    stop: () => {
      stopped = true;
      stop();
    },
  };
}
