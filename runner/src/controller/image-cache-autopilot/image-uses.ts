/**
 * What the autopilot learns from one job (pure): the images of its pod by role, read from the pod the controller
 * created, and — once the job finished — how long its images took to prepare and whether a cache served them, read
 * from the pod's events copied into its record.
 *
 * Roles follow the pod layout (@eci-virtual/contract `CONTAINER`): the runner and the init containers that set it
 * up (hooks, agent, externals) are `runner`; `job` is the workflow's `container:`; `svc-*` are services; `step-*`
 * are `docker://` steps; the kaniko executor is `runner` too (it is the same image for every build). A pod starts
 * from an image cache only when one cache holds every image of the pod, init containers included, so every image
 * is recorded. Base images kaniko pulls while building are `kaniko-base`: kaniko fetches them from the registry
 * itself, so the pod names none of them; the spool agent of the kaniko container prints them to its log, which the
 * controller reads before cleanup (jobs/kaniko-bases.ts) and adds to the record (`withKanikoBases`). They are learnt,
 * but never put in a warm set: an image cache does not serve kaniko's own pulls (hot-images.ts).
 */
import { CONTAINER, isServiceContainer, isStepContainer, type JobEvent } from '@eci-virtual/contract';
import type { V1Pod } from '@kubernetes/client-node';
import type { ImageRole, ImageUse } from './types.js';

export interface RoledImage {
  ref: string;
  role: ImageRole;
}

function roleOf(container: string): ImageRole {
  if (container === CONTAINER.job) return 'job';
  if (isServiceContainer(container)) return 'service';
  if (isStepContainer(container)) return 'step';
  return 'runner';
}

/** Every distinct image of the pod (init containers first), with its role; an image used twice keeps its first. */
export function podImageRoles(pod: Pick<V1Pod, 'spec'>): RoledImage[] {
  const out: RoledImage[] = [];
  const seen = new Set<string>();
  for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
    if (!c.image || seen.has(c.image)) continue;
    seen.add(c.image);
    out.push({ ref: c.image, role: roleOf(c.name) });
  }
  return out;
}

/**
 * `roles` with each of `refs` added as `kaniko-base` (an image already recorded in that role is not added again);
 * undefined when nothing is new.
 */
export function withKanikoBases(
  roles: readonly RoledImage[] | undefined,
  refs: readonly string[],
): RoledImage[] | undefined {
  const have = new Set((roles ?? []).filter((i) => i.role === 'kaniko-base').map((i) => i.ref));
  const added = [...new Set(refs)]
    .filter((ref) => !have.has(ref))
    .map((ref) => ({ ref, role: 'kaniko-base' as const }));
  return added.length ? [...(roles ?? []), ...added] : undefined;
}

/** `Successfully pulled image "x" in 1.234s` (ECI, the docker backend), also `in 850ms`. */
const PULLED_IN = /\bin ([\d.]+)(ms|s)\b/;

/**
 * How long the pod's images took to prepare, from its events: the longest `Pulled … in Ns` (images are pulled in
 * parallel), else the span from the first `Pulling` or `SuccessfulHitImageCache` to the last `Pulled`. Undefined
 * when the events say nothing about pulls.
 */
export function prepSecondsOf(events: readonly JobEvent[]): number | undefined {
  let longest: number | undefined;
  for (const e of events) {
    if (e.reason !== 'Pulled') continue;
    const m = PULLED_IN.exec(e.message);
    if (!m) continue;
    const s = Number(m[1]) / (m[2] === 'ms' ? 1000 : 1);
    if (Number.isFinite(s)) longest = Math.max(longest ?? 0, s);
  }
  if (longest !== undefined) return longest;
  const start = events.find((e) => e.reason === 'Pulling' || e.reason === 'SuccessfulHitImageCache');
  const end = events.filter((e) => e.reason === 'Pulled').at(-1);
  if (!start || !end) return undefined;
  const span = (Date.parse(end.at) - Date.parse(start.at)) / 1000;
  return Number.isFinite(span) && span >= 0 ? span : undefined;
}

/** The part of a stored job the autopilot reads. */
export interface JobImageFacts {
  repo: string;
  podCreatedAt?: string;
  imageRoles?: RoledImage[];
  imageCache: { used: boolean };
  events: readonly JobEvent[];
}

/**
 * One job's use of images, or undefined when its record says nothing usable (no pod, or a record written before
 * images were recorded with their roles).
 */
export function imageUseOf(job: JobImageFacts): ImageUse | undefined {
  const at = Date.parse(job.podCreatedAt ?? '');
  if (!Number.isFinite(at) || !job.imageRoles?.length) return undefined;
  const prepSeconds = prepSecondsOf(job.events);
  const pulled = job.events.some((e) => e.reason === 'Pulled' || e.reason === 'SuccessfulHitImageCache');
  return {
    repo: job.repo,
    at,
    images: job.imageRoles.map((i) => ({ ref: i.ref, role: i.role })),
    ...(prepSeconds !== undefined ? { prepSeconds } : {}),
    ...(pulled ? { fromCache: job.imageCache.used } : {}),
  };
}
