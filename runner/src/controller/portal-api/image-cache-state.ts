/**
 * The state of each image a repository asks to cache, as the virtual nodes report it: a node lists the images it
 * holds ready (pre-pulled into its engine, or in a Ready ECI image cache) in its Node `status.images`, so an image
 * some virtual node lists is `ready` and any other is `pending` (cached when a job of the repository first runs).
 * Without permission to list nodes, or before any node answers, the state is `unknown`.
 */
import type { V1Node } from '@kubernetes/client-node';
import type { KubeClients } from '../../kube/client.js';
import type { ImageCacheEntry } from '@eci-virtual/contract';
import { VIRTUAL_NODE_SELECTOR } from '@eci-virtual/contract';

export function imageCacheEntries(images: readonly string[], nodes: readonly V1Node[] | undefined): ImageCacheEntry[] {
  if (!nodes) return images.map((image) => ({ image, state: 'unknown' }));
  const held = new Map<string, number | undefined>();
  for (const node of nodes)
    for (const entry of node.status?.images ?? [])
      for (const name of entry.names ?? []) held.set(name, entry.sizeBytes ?? held.get(name));
  return images.map((image) => {
    if (!held.has(image)) return { image, state: 'pending' };
    const sizeBytes = held.get(image);
    return { image, state: 'ready', ...(sizeBytes !== undefined ? { sizeBytes } : {}) };
  });
}

/** The cluster's virtual nodes, or undefined when they cannot be listed. */
export async function listVirtualNodes(kube: KubeClients): Promise<V1Node[] | undefined> {
  const res = await kube.core.listNode({ labelSelector: VIRTUAL_NODE_SELECTOR }).catch(() => undefined);
  return res?.items;
}
