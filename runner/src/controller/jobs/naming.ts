/**
 * Names of everything the controller creates for one job; derived from the job id, so work is idempotent.
 *
 * A job's runner SLOT is one JIT runner registered for it, with the pod, JIT Secret, ServiceAccount, Role and
 * RoleBinding that serve that runner. GitHub hands a queued job to ANY idle runner whose labels match, so the runner
 * of job X's slot may take job Y; X then waits with no runner of its own, and the controller opens another slot for
 * it. Slots are keyed: the first by the job id itself (`eci-job-<id>`, runner `eci-virtual-<id>`), a later one by
 * `<id>-<n>` (`eci-job-<id>-<n>`, runner `eci-virtual-<id>-<n>`), so no name ever serves two runners and what GitHub
 * learned about one runner never sticks to the next. Every slot's resources carry the job id label.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { COMPONENT, LABEL } from '@eci-virtual/contract';

export const JIT_SECRET_KEY = 'jitconfig';

/** The key of a job's `generation`-th runner slot (1: the job id alone). */
export const slotKey = (jobId: number | string, generation = 1): string =>
  generation <= 1 ? String(jobId) : `${jobId}-${generation}`;

/** Job id and generation of a slot key; undefined for anything else. */
export function parseSlot(key: string): { jobId: string; generation: number } | undefined {
  const m = /^(\d+)(?:-(\d+))?$/.exec(key);
  return m ? { jobId: m[1]!, generation: m[2] ? Number(m[2]) : 1 } : undefined;
}

/** The job a slot serves (the key itself when it is not a slot key). */
export const jobOfSlot = (key: string): string => parseSlot(key)?.jobId ?? key;

// The functions below take a slot key; a bare job id is its first slot.
export const jobResourceName = (slot: number | string): string => `eci-job-${slot}`;
export const jitSecretName = (slot: number | string): string => `eci-job-${slot}-jit`;
export const runnerName = (slot: number | string): string => `eci-virtual-${slot}`;

/** The slot of one of our runners, by its name; undefined for a runner that is not ours. */
export const slotOfRunner = (name: string | null | undefined): string | undefined =>
  name ? /^eci-virtual-(\d+(?:-\d+)?)$/.exec(name)?.[1] : undefined;

/** The slot a job resource (pod, JIT Secret, ServiceAccount, Role, RoleBinding) belongs to, by its name. */
export const slotOfResource = (name: string | undefined): string | undefined =>
  name ? /^eci-job-(\d+(?:-\d+)?)(?:-jit)?$/.exec(name)?.[1] : undefined;

/** The slot of a runner pod: from its name, else (a pod named otherwise) its job id label. */
export const slotOfPod = (pod: V1Pod): string | undefined =>
  slotOfResource(pod.metadata?.name) ?? pod.metadata?.labels?.[LABEL.jobId];

/** Every job pod, Secret, ServiceAccount and Role of the controller. */
export const allJobsSelector = `${LABEL.component}=${COMPONENT.runnerJob}`;
