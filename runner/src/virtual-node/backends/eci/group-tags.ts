/** How a container group's tags identify the pod it runs (and the node that owns it). */
import type { PodRef } from '../backend.js';
import type { EciNodeSettings } from './pod-mapping.js';
import { TAG } from './pod-mapping.js';

export type Tag = { Key: string; Value: string };

/** The tags every group of this node carries: what listPods filters on after a restart. */
export const nodeTags = (node: Pick<EciNodeSettings, 'clusterName' | 'nodeName'>): Tag[] => [
  { Key: TAG.cluster, Value: node.clusterName },
  { Key: TAG.node, Value: node.nodeName },
];

export function refFromTags(tags: Tag[] | undefined): PodRef | undefined {
  const get = (k: string) => tags?.find((t) => t.Key === k)?.Value;
  const namespace = get(TAG.namespace);
  const name = get(TAG.name);
  const uid = get(TAG.uid);
  return namespace && name && uid ? { namespace, name, uid } : undefined;
}
