/**
 * The Kubernetes Events of a job pod (scheduling, image pulls, image-cache hits, OOM kills, spot reclaim — whatever
 * the node wrote) as job-record events, read while the pod still exists, so the portal's job drawer keeps the pod's
 * timeline after the pod is gone. Whether the pod's images came from the image cache is derived from the same
 * events: ECI reports `SuccessfulHitImageCache`, a node with pre-pulled images reports `Pulled … already present`.
 */
import type { CoreV1Event } from '@kubernetes/client-node';
import type { KubeClients } from '../../kube/client.js';
import type { JobEvent } from '@eci-virtual/contract';

/** At most this many events are read per pod (a crash-looping pod could have thousands). */
export const MAX_EVENTS = 100;

/** When the event first happened: stable across repeats, so it keys the event in a record. */
function eventTime(e: CoreV1Event): string | undefined {
  const at = e.firstTimestamp ?? e.eventTime ?? e.lastTimestamp ?? e.metadata?.creationTimestamp;
  return at ? new Date(at).toISOString() : undefined;
}

/** Orders job-record events oldest first (for `Array.prototype.sort`). */
export const byTime = (a: JobEvent, b: JobEvent): number => Date.parse(a.at) - Date.parse(b.at);

export function toJobEvents(events: readonly CoreV1Event[]): JobEvent[] {
  return events
    .map((e): JobEvent | undefined => {
      const at = eventTime(e);
      if (!at || !e.reason) return undefined;
      return { at, type: e.type === 'Warning' ? 'Warning' : 'Normal', reason: e.reason, message: e.message ?? '' };
    })
    .filter((e): e is JobEvent => !!e)
    .sort(byTime);
}

/** The pod's events, oldest first. */
export async function readPodEvents(
  kube: KubeClients,
  namespace: string,
  pod: { name: string; uid?: string },
): Promise<JobEvent[]> {
  const fieldSelector = [
    'involvedObject.kind=Pod',
    `involvedObject.name=${pod.name}`,
    ...(pod.uid ? [`involvedObject.uid=${pod.uid}`] : []),
  ].join(',');
  const res = await kube.core.listNamespacedEvent({ namespace, fieldSelector, limit: MAX_EVENTS });
  return toJobEvents(res.items);
}

/**
 * Whether the events tell how the pod started (its containers' `Started`, which a node writes after the pulls and
 * any image-cache hit). A pod cleaned up without them is read again once it is gone (controller.ts).
 */
export function startupRecorded(events: readonly JobEvent[]): boolean {
  return events.some((e) => e.reason === 'Started');
}

/**
 * Image-cache use as the events tell it: `undefined` when they say nothing about images (keep what is known),
 * otherwise whether a cache served the pod and, for ECI, which one.
 */
export function imageCacheUse(
  events: readonly JobEvent[],
  cachedImages: readonly string[],
): { used: boolean; id?: string } | undefined {
  const hit = events.find((e) => e.reason === 'SuccessfulHitImageCache');
  if (hit) {
    const id = hit.message.match(/\bimc-[A-Za-z0-9-]+/)?.[0];
    return { used: true, ...(id ? { id } : {}) };
  }
  const pulls = events.filter((e) => e.reason === 'Pulled' || e.reason === 'Pulling');
  if (!pulls.length) return undefined;
  const present = pulls.some(
    (e) =>
      e.reason === 'Pulled' &&
      /already present/.test(e.message) &&
      cachedImages.some((image) => e.message.includes(`"${image}"`)),
  );
  return { used: present };
}
