/** How docker-backend resources are named and labelled, so a restarted node can find what belongs to which pod. */
import { ENGINE_LABEL } from '@eci-virtual/contract';
import type { PodRef } from '../backend.js';

/** The engine labels (contract `ENGINE_LABEL`): which node, pod and container an engine object belongs to. */
export const LABEL = ENGINE_LABEL;

export type Role = 'infra' | 'init' | 'app';

const short = (uid: string) => uid.replace(/-/g, '').slice(0, 12);

export function podLabels(node: string, ref: PodRef): Record<string, string> {
  return { [LABEL.node]: node, [LABEL.namespace]: ref.namespace, [LABEL.name]: ref.name, [LABEL.uid]: ref.uid };
}

/** Engine names must be unique per engine; the uid keeps two pods of the same name (or two nodes) apart. */
export function containerName(ref: PodRef, container: string | undefined): string {
  return container === undefined
    ? `evk-${ref.name}-${short(ref.uid)}-infra`
    : `evk-${ref.name}-${short(ref.uid)}-${container}`;
}

export function volumeName(ref: PodRef, volume: string): string {
  return `evk-${short(ref.uid)}-${volume}`;
}

export function refFromLabels(labels: Record<string, string> | undefined): PodRef | undefined {
  const namespace = labels?.[LABEL.namespace];
  const name = labels?.[LABEL.name];
  const uid = labels?.[LABEL.uid];
  return namespace && name && uid ? { namespace, name, uid } : undefined;
}
