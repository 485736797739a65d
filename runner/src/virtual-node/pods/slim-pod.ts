/**
 * Pods as the node keeps them: without `metadata.managedFields` (server-side apply bookkeeping, often the largest part
 * of a pod's metadata and never read by the node, nor by clients of the kubelet's /pods). Applied before the pod
 * informer stores an object — to its list and to each watch event — so no copy with the field is retained.
 */
import type { KubernetesListObject, V1Pod, Watch } from '@kubernetes/client-node';

/** Drops what the node never reads; returns the same object. */
export function slimPod<T extends V1Pod>(pod: T): T {
  if (pod.metadata?.managedFields) delete pod.metadata.managedFields;
  return pod;
}

/** A list function whose items are slimmed. */
export function slimList<L extends KubernetesListObject<V1Pod>>(list: () => Promise<L>): () => Promise<L> {
  return async () => {
    const l = await list();
    l.items.forEach(slimPod);
    return l;
  };
}

/** A Watch whose events carry slimmed pods (for ListWatch, which has no transform of its own). */
export function slimWatch(watch: Watch): Watch {
  return {
    watch: (path, query, callback, done) =>
      watch.watch(path, query, (phase, obj, raw) => callback(phase, slimPod(obj as V1Pod), raw), done),
  } as Watch;
}
