/**
 * Which virtual node a stalled pod may be bound to (pure): the subset of the scheduler's filters that our own pods
 * depend on — they say where they may run only with `nodeSelector` and tolerations (pod-assembly/pod-parts.ts
 * `scheduling`), so a pod carrying anything else (affinity, spread constraints, a preset `nodeName`, another
 * scheduler) is left to the scheduler.
 *
 * Filters, as kube-scheduler's plugins of the same names decide them
 * (pkg/scheduler/framework/plugins/{nodeunschedulable,nodeaffinity,tainttoleration,noderesources}):
 *   - the node is Ready and not cordoned (`spec.unschedulable`);
 *   - every `nodeSelector` label is on the node with that value;
 *   - every NoSchedule/NoExecute taint of the node is tolerated (`Exists` or `Equal` on key/value, effect empty or
 *     equal);
 *   - the node has room for one more pod (`status.allocatable.pods`).
 * Among the nodes that pass, the one with the fewest pods of ours wins (ties: by name), which spreads a burst the
 * way the scheduler's balanced scoring would for identical virtual nodes.
 */
import type { V1Node, V1Pod, V1Taint, V1Toleration } from '@kubernetes/client-node';
import { isVirtualNodeLabels } from '@eci-virtual/contract';

/** Why the pod is left to the scheduler, or undefined when the binder may place it. */
export function unbindable(pod: V1Pod): string | undefined {
  const spec = pod.spec;
  if (!spec) return 'no spec';
  if (pod.metadata?.deletionTimestamp) return 'being deleted';
  if (spec.nodeName) return 'already bound';
  if (spec.schedulerName && spec.schedulerName !== 'default-scheduler') return `scheduler ${spec.schedulerName}`;
  if (spec.affinity || spec.topologySpreadConstraints?.length) return 'affinity or spread constraints';
  if (!isVirtualNodeLabels(spec.nodeSelector)) return 'does not select virtual nodes';
  return undefined;
}

const ready = (node: V1Node) =>
  node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

function tolerates(tolerations: readonly V1Toleration[], taint: V1Taint): boolean {
  return tolerations.some((t) => {
    if (t.effect && t.effect !== taint.effect) return false;
    if (t.operator === 'Exists') return !t.key || t.key === taint.key;
    return t.key === taint.key && (t.value ?? '') === (taint.value ?? '');
  });
}

/** Why `node` cannot take `pod` (one more pod on top of `podsOnNode`), or undefined when it can. */
export function misfit(pod: V1Pod, node: V1Node, podsOnNode: number): string | undefined {
  if (!ready(node)) return 'not Ready';
  if (node.spec?.unschedulable) return 'cordoned';
  const labels = node.metadata?.labels ?? {};
  for (const [k, v] of Object.entries(pod.spec?.nodeSelector ?? {}))
    if (labels[k] !== v) return `label ${k}=${v} missing`;
  const tolerations = pod.spec?.tolerations ?? [];
  for (const taint of node.spec?.taints ?? [])
    if ((taint.effect === 'NoSchedule' || taint.effect === 'NoExecute') && !tolerates(tolerations, taint))
      return `taint ${taint.key}:${taint.effect} not tolerated`;
  const room = Number(node.status?.allocatable?.pods ?? Infinity);
  if (Number.isFinite(room) && podsOnNode >= room) return `full (${podsOnNode}/${room} pods)`;
  return undefined;
}

/** The node to bind `pod` to, or undefined when none fits. `podsOn(name)`: pods of ours already on that node. */
export function pickNode(pod: V1Pod, nodes: readonly V1Node[], podsOn: (node: string) => number): V1Node | undefined {
  return nodes
    .filter((n) => n.metadata?.name && misfit(pod, n, podsOn(n.metadata.name)) === undefined)
    .sort(
      (a, b) =>
        podsOn(a.metadata!.name!) - podsOn(b.metadata!.name!) || a.metadata!.name!.localeCompare(b.metadata!.name!),
    )[0];
}
