/**
 * Enough runners for the queued jobs. GitHub hands a queued job to ANY idle runner whose labels match, so the runner
 * registered for job X may take job Y; that alone leaves no job without a runner (Y's runner is then free for X).
 * A job is stranded when a runner is lost WITHOUT taking a queued job: the idle runner of a job that completed
 * elsewhere is reaped (as it must be: idle-reaper.ts, onCompleted), or a runner crashed or was removed before taking
 * one (issue #18: a long newest-first swap chain left jobs queued forever, with their own pod's runner busy).
 *
 * So the controller keeps, over all jobs, at least as many AVAILABLE runners (and launches in flight) as queued
 * jobs, and opens another runner slot (naming.ts) for the oldest queued jobs without an available runner of their
 * own when there are fewer. A runner is available while its pod is up (not finished, not being deleted) and it is
 * not known to have taken a job (`in_progress` webhooks, the API: runner-jobs.ts). When webhooks are lost, GitHub's
 * runner list says the rest: a busy runner runs a job, a runner missing from the list was removed.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { ANNOTATION, LABEL } from '@eci-virtual/contract';
import type { RunnerInfo } from '../github/github-client.js';
import { parseSlot, runnerName, slotOfPod } from './naming.js';
import { milestones } from './pod-tracker.js';

export interface JobSlot {
  /** The slot key (`<job id>` or `<job id>-<n>`). */
  key: string;
  jobId: string;
  generation: number;
  pod: V1Pod;
  /** The name of the runner registered for this slot. */
  runner: string;
}

export function slotOfRunnerPod(pod: V1Pod): JobSlot | undefined {
  const jobId = pod.metadata?.labels?.[LABEL.jobId];
  if (!jobId) return undefined;
  const key = slotOfPod(pod) ?? jobId;
  return {
    key,
    jobId,
    generation: parseSlot(key)?.generation ?? 1,
    pod,
    runner: pod.metadata?.annotations?.[ANNOTATION.runnerName] ?? runnerName(key),
  };
}

/** The runner pods of job `jobId`, one per slot. */
export function slotsOf(pods: readonly V1Pod[], jobId: string): JobSlot[] {
  return pods.map(slotOfRunnerPod).filter((s): s is JobSlot => s?.jobId === jobId);
}

/** The generation of the job's next slot: after every slot it has (pods) or had (`launched`, in memory). */
export function nextGeneration(pods: readonly V1Pod[], jobId: string, launched = 0): number {
  return Math.max(launched, ...slotsOf(pods, jobId).map((s) => s.generation)) + 1;
}

/** GitHub's runner list at one moment. */
export interface RunnerCensus {
  at: number;
  runners: readonly Pick<RunnerInfo, 'name' | 'busy'>[];
}

/**
 * Whether the runner of `slot` may still take a queued job: its pod is up and its runner is not known to have taken
 * one; with a `census`, also registered and idle — or its pod is younger than the list (its runner may not be in
 * it; `slackMs` absorbs the seconds-precision of Kubernetes timestamps).
 */
export function isAvailable(
  slot: JobSlot,
  tookJob: (runner: string) => unknown,
  census?: RunnerCensus,
  slackMs = 2_000,
): boolean {
  if (slot.pod.metadata?.deletionTimestamp || milestones(slot.pod).finished) return false;
  if (tookJob(slot.runner) !== undefined) return false;
  if (!census) return true;
  const r = census.runners.find((x) => x.name === slot.runner);
  if (r) return !r.busy;
  const created = slot.pod.metadata?.creationTimestamp ? new Date(slot.pod.metadata.creationTimestamp).getTime() : NaN;
  return !Number.isFinite(created) || created >= census.at - slackMs;
}

/**
 * The queued jobs that get another runner slot: as many as runners are missing (`queued` minus available runners
 * minus `inFlight` launches), oldest first among those without an available runner of their own and not in flight.
 * A BOUND job (`bound`: its runner registered with exactly its labels, workflow-job.ts) is served by its own runners
 * only, and its runners serve no other job.
 */
export function jobsShortOfRunner<J extends { id: number }>(
  queued: readonly J[],
  available: readonly JobSlot[],
  inFlight: (jobId: number) => boolean,
  inFlightCount: number,
  bound: (job: J) => boolean = () => false,
): J[] {
  const own = new Set(available.map((s) => s.jobId));
  const boundIds = new Set(queued.filter(bound).map((j) => String(j.id)));
  const shortBound = queued.filter((j) => boundIds.has(String(j.id)) && !inFlight(j.id) && !own.has(String(j.id)));
  const free = queued.filter((j) => !boundIds.has(String(j.id)));
  const pool = available.filter((s) => !boundIds.has(s.jobId)).length;
  const boundInFlight = queued.filter((j) => boundIds.has(String(j.id)) && inFlight(j.id)).length;
  const missing = free.length - pool - (inFlightCount - boundInFlight);
  const shortFree =
    missing <= 0 ? [] : free.filter((j) => !inFlight(j.id) && !own.has(String(j.id))).sort((a, b) => a.id - b.id);
  return [...shortBound, ...shortFree.slice(0, Math.max(0, missing))].sort((a, b) => a.id - b.id);
}
