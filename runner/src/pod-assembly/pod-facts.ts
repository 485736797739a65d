/**
 * Builds the pod facts (their shape is the contract's pod-facts.ts): what steps may want to know about the pod they
 * run in — where it was placed, with what resources and image-cache settings, and how fast it started — as one JSON
 * value in $ECI_VIRTUAL_POD_FACTS. The engine knows all of it once
 * the pod runs, so it costs no API access from inside the pod (steps usually have none) and no extra exec: the
 * variable travels in each step's wrapper. `actions/placement` turns it into the job summary.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { ANNOTATION, CONTAINER, ECI_POD_ANNOTATION, isVirtualNodeLabels, type PodFacts } from '@eci-virtual/contract';
import type { KubeClients } from '../kube/client.js';

export function factsFromPod(
  pod: V1Pod,
  nodeLabels: Record<string, string> | undefined,
  timings: PodFacts['timings'],
): PodFacts {
  const a = pod.metadata?.annotations ?? {};
  const containers = pod.spec?.containers ?? [];
  const job = containers.find((c) => c.name === CONTAINER.job) ?? containers[0];
  const res = job?.resources?.limits ?? job?.resources?.requests ?? {};
  const eciSpecs = a[ECI_POD_ANNOTATION.useSpecs];
  const imcId = a[ECI_POD_ANNOTATION.imageCacheId];
  return {
    pod: pod.metadata?.name ?? '',
    namespace: pod.metadata?.namespace ?? '',
    ...(pod.spec?.nodeName ? { node: pod.spec.nodeName } : {}),
    // Without the node's labels (job identities may not read nodes), a pod pinned to virtual nodes is still known.
    nodeType: nodeLabels
      ? isVirtualNodeLabels(nodeLabels)
        ? 'virtual'
        : 'regular'
      : isVirtualNodeLabels(pod.spec?.nodeSelector)
        ? 'virtual'
        : 'unknown',
    ...(res.cpu !== undefined ? { cpu: String(res.cpu) } : {}),
    ...(res.memory !== undefined ? { memory: String(res.memory) } : {}),
    ...(eciSpecs ? { eciSpecs } : {}),
    imageCache: {
      auto: a[ECI_POD_ANNOTATION.autoImageCache] === 'true',
      ...(imcId ? { id: imcId } : {}),
      ...(job?.imagePullPolicy ? { pullPolicy: job.imagePullPolicy } : {}),
    },
    images: [...new Set(containers.map((c) => c.image ?? '').filter(Boolean))],
    kaniko: containers.some((c) => c.name === CONTAINER.kaniko),
    timings,
  };
}

/** Facts for a running pod; the node's labels tell virtual from regular (unknown when the node cannot be read). */
export async function podFacts(kube: KubeClients, pod: V1Pod, timings: PodFacts['timings']): Promise<PodFacts> {
  const nodeName = pod.spec?.nodeName;
  const labels = nodeName
    ? await kube.core
        .readNode({ name: nodeName })
        .then((n) => n.metadata?.labels ?? {})
        .catch(() => undefined)
    : undefined;
  return factsFromPod(pod, labels, timings);
}

/**
 * Start timings read from the pod itself, for code that did not watch it start (the container hooks): ms from the
 * job being queued (the controller's `ANNOTATION.queuedAt`) to the pod's creation and readiness.
 * Kubernetes timestamps have one-second precision, so these are coarser than the engine's own figures.
 */
export function timingsFromPod(pod: V1Pod): PodFacts['timings'] {
  const queued = Date.parse(pod.metadata?.annotations?.[ANNOTATION.queuedAt] ?? '');
  if (!Number.isFinite(queued)) return {};
  const created = pod.metadata?.creationTimestamp ? new Date(pod.metadata.creationTimestamp).getTime() : NaN;
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'True')?.lastTransitionTime;
  const running = ready ? new Date(ready).getTime() : NaN;
  return {
    ...(Number.isFinite(created) ? { podCreatedMs: Math.max(0, created - queued) } : {}),
    ...(Number.isFinite(running) ? { runningMs: Math.max(0, running - queued) } : {}),
  };
}
