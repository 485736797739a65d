/**
 * The one writer of job records. The controller tells it what happened to a job, by intent — `queued`,
 * `podCreated`, `scheduled`, `running`, `runnerExited`, `completed`, … — and it decides, against the record as
 * stored, what that changes:
 *
 *   - the phase moves only as phases.ts allows; a late or repeated event is ignored (logged at debug), so a finished
 *     job never moves back and a first observation (runningAt) is never overwritten by a second;
 *   - facts about the pod (name, creation time, node, resources, images) are written while the job is unfinished,
 *     whatever its phase, so they survive a write that lost a race to the next milestone;
 *   - timeline entries (pod events, the runner's exit, launch problems) are always merged in, without duplicates.
 *
 * Every decision is made inside the store's optimistic update (read, decide, write with the read's
 * resourceVersion), so two events racing for one job cannot both win. A failed write is logged with the job id and
 * retried with backoff; after the last attempt (or when `signal` aborts) it is logged at error level and counted in
 * `eci_virtual_controller_job_record_write_failures_total`. The methods never reject: callers in event loops need no
 * catch, and a record is never worth stopping a job for.
 *
 *   const lifecycle = new JobLifecycle({ store, log, metrics, signal });
 *   await lifecycle.queued(job, { cpu: '1', memory: '2Gi' });
 *   void lifecycle.running(jobId, new Date().toISOString());
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CONTAINER, type JobEvent, type NodeType, type SpotAttempt } from '@eci-virtual/contract';
import type { Logger } from '../../observability/logger.js';
import type { WorkflowJob } from '../github/workflow-job.js';
import type { LaunchedPod } from '../jobs/job-launcher.js';
import { withKanikoBases } from '../image-cache-autopilot/image-uses.js';
import { imageCacheUse } from '../jobs/pod-events.js';
import type { ControllerMetrics } from '../metrics.js';
import { workloadPodName } from '../workloads/workload-pod.js';
import { mergeEvents, type JobRecordStore, type StoredJob } from '../records/stored-job.js';
import { attemptSettled, claimRerun, linkRerun, reclaimed, spotFromEvents } from '../records/spot-record.js';
import {
  isFinished,
  mayMove,
  phaseOfConclusion,
  phaseOfExitCode,
  type FinishedBy,
  type JobPhase,
  type PhaseState,
} from './phases.js';

/** What a write carries; the label of the write-failure counter. */
export type LifecycleChange =
  | 'queued'
  | 'assigned'
  | 'pod_created'
  | 'launch_failed'
  | 'scheduled'
  | 'running'
  | 'runner_exited'
  | 'completed'
  | 'events_copied'
  | 'kaniko_bases'
  | 'spot_reclaimed'
  | 'spot_rerun'
  | 'spot_attempts';

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  attempts: number;
  /** Delay before the second attempt; it doubles for each further one, up to `maxDelayMs`. */
  firstDelayMs: number;
  maxDelayMs: number;
}

const DEFAULT_RETRY: RetryPolicy = { attempts: 4, firstDelayMs: 250, maxDelayMs: 2_000 };

export interface LifecycleDeps {
  store: JobRecordStore;
  log: Logger;
  metrics: Pick<ControllerMetrics, 'recordWriteFailures'>;
  /** Aborting it stops pending retries (the controller is stopping); the write is then given up. */
  signal?: AbortSignal;
  retry?: Partial<RetryPolicy>;
}

/**
 * A change to one record: the next record, or undefined to write nothing. `ignore` notes that the event was (partly)
 * ignored because of the job's phase: `to` is where it would have moved the job, none when it moves nothing.
 */
type Change = (
  current: StoredJob | undefined,
  ignore: (phase: JobPhase, to?: JobPhase) => void,
) => StoredJob | undefined;

/** The record of a job as first seen (queued); later facts are merged into it. */
export function initialRecord(job: WorkflowJob, resources: { cpu: string; memory: string }): StoredJob {
  return {
    id: String(job.id),
    runId: String(job.runId),
    runAttempt: job.runAttempt,
    repo: job.repo,
    workflow: job.workflowName,
    job: job.name,
    htmlUrl: job.htmlUrl,
    status: 'queued',
    labels: job.labels,
    resources,
    images: [],
    imageCache: { used: false, images: [] },
    queuedAt: job.createdAt,
    events: [],
  };
}

const phaseState = (r: StoredJob): PhaseState => ({
  phase: r.status,
  // Records written before `finishedBy` existed: a conclusion is only ever written from GitHub's word.
  ...(isFinished(r.status) ? { finishedBy: r.finishedBy ?? (r.conclusion !== undefined ? 'github' : 'runner') } : {}),
});

/**
 * Where a job ran when the runner of another job's pod (`host`) took it: that pod's placement, with start times no
 * earlier than the job was queued (the host pod may have been created for an older job).
 */
function placementOfHost(host: StoredJob, queuedAt: string): Partial<StoredJob> {
  const notBefore = (t: string | undefined) => (t && Date.parse(t) < Date.parse(queuedAt) ? queuedAt : t);
  const podCreatedAt = notBefore(host.podCreatedAt);
  const runningAt = notBefore(host.runningAt);
  return {
    ...(host.pod ? { pod: host.pod } : {}),
    ...(host.node ? { node: host.node } : {}),
    resources: host.resources,
    images: host.images,
    imageCache: host.imageCache,
    ...(host.eciSpecs ? { eciSpecs: host.eciSpecs } : {}),
    ...(podCreatedAt ? { podCreatedAt } : {}),
    ...(runningAt ? { runningAt } : {}),
  };
}

/** GitHub's word on when a runner took the job and its first step started, when it says. */
function stepMarks(job: WorkflowJob): Pick<StoredJob, 'assignedAt' | 'firstStepAt'> | undefined {
  if (!job.startedAt && !job.firstStepAt) return undefined;
  return {
    ...(job.startedAt ? { assignedAt: job.startedAt } : {}),
    ...(job.firstStepAt ? { firstStepAt: job.firstStepAt } : {}),
  };
}

/** `r` with the marks it lacks (a first observation is never overwritten); undefined when nothing is new. */
function withMarks(r: StoredJob, marks: Pick<StoredJob, 'assignedAt' | 'firstStepAt'>): StoredJob | undefined {
  const added = {
    ...(!r.assignedAt && marks.assignedAt ? { assignedAt: marks.assignedAt } : {}),
    ...(!r.firstStepAt && marks.firstStepAt ? { firstStepAt: marks.firstStepAt } : {}),
  };
  return Object.keys(added).length ? { ...r, ...added } : undefined;
}

export class JobLifecycle {
  private readonly retry: RetryPolicy;

  constructor(private readonly deps: LifecycleDeps) {
    this.retry = { ...DEFAULT_RETRY, ...deps.retry };
  }

  /**
   * A queued job we serve: its record is created, unless it exists (a redelivery, the poller, a restart).
   * `receivedAt`: when the controller first heard of it (the queue breakdown's "webhook received").
   */
  queued(job: WorkflowJob, resources: { cpu: string; memory: string }, receivedAt?: string): Promise<void> {
    const initial = initialRecord(job, resources);
    return this.write(String(job.id), 'queued', (r, ignore) => {
      if (!r) return { ...initial, ...(receivedAt ? { receivedAt } : {}) };
      if (receivedAt && !r.receivedAt && !isFinished(r.status)) return { ...r, receivedAt };
      ignore(r.status, 'queued');
      return undefined;
    });
  }

  /**
   * A runner took the job (`workflow_job.in_progress`): GitHub's `started_at` and, once listed, its first step's. The
   * first observation stays; the phase does not move (the pod's containers say when it runs).
   */
  assigned(job: WorkflowJob): Promise<void> {
    const marks = stepMarks(job);
    if (!marks) return Promise.resolve();
    return this.write(String(job.id), 'assigned', (r) => r && withMarks(r, marks));
  }

  /** The job's pod was created: → pending, with the pod's placement and images (and why its plan is partial). */
  podCreated(job: WorkflowJob, pod: LaunchedPod): Promise<void> {
    const problem: JobEvent[] = pod.planProblem
      ? [{ at: pod.createdAt, type: 'Warning', reason: 'PlanIncomplete', message: pod.planProblem }]
      : [];
    const initial = initialRecord(job, pod.resources);
    return this.write(String(job.id), 'pod_created', (current, ignore) => {
      const r = current ?? initial;
      const events = mergeEvents(r.events, problem);
      if (isFinished(r.status)) {
        ignore(r.status, 'pending');
        return { ...r, events };
      }
      const moves = mayMove(phaseState(r), 'pending');
      if (!moves) ignore(r.status, 'pending'); // the pod was seen running first: its facts still count
      return {
        ...r,
        ...(moves ? { status: 'pending' as const } : {}),
        pod: { namespace: pod.namespace, name: pod.name },
        podCreatedAt: pod.createdAt,
        resources: pod.resources,
        ...(pod.eciSpecs ? { eciSpecs: pod.eciSpecs } : {}),
        ...(pod.spot ? { spot: { ...r.spot, preferred: true } } : {}),
        images: pod.images,
        imageRoles: pod.imageRoles,
        // Whether a cache really served the images is read from the pod's events (eventsCopied).
        imageCache: { used: false, images: pod.cachedImages },
        events,
      };
    });
  }

  /** Launching failed (the poller retries): a Warning on the job's timeline. */
  launchFailed(jobId: string, message: string, at = new Date().toISOString()): Promise<void> {
    const event: JobEvent = { at, type: 'Warning', reason: 'LaunchFailed', message };
    return this.write(jobId, 'launch_failed', (r) => r && { ...r, events: mergeEvents(r.events, [event]) });
  }

  /** The job's pod was bound to `node` (seen at `at`; the first observation stays). */
  scheduled(jobId: string, node: { name: string; type: NodeType }, at = new Date().toISOString()): Promise<void> {
    return this.write(jobId, 'scheduled', (r, ignore) => {
      if (!r) return undefined;
      if (isFinished(r.status)) {
        ignore(r.status); // a finished job keeps where it ran (after a swap: the host pod's node)
        return undefined;
      }
      return { ...r, node, scheduledAt: r.scheduledAt ?? at };
    });
  }

  /** Every container of the job's pod runs (observed at `at`): → running. The first observation stays. */
  running(jobId: string, at: string): Promise<void> {
    return this.write(jobId, 'running', (r, ignore) => {
      if (!r) return undefined;
      if (!mayMove(phaseState(r), 'running')) {
        ignore(r.status, 'running');
        return undefined;
      }
      return { ...r, status: 'running', runningAt: at };
    });
  }

  /**
   * The runner container ended: a provisional finish from its exit code (GitHub's `completed` settles it), and a
   * RunnerExited entry on the timeline in any case.
   */
  runnerExited(jobId: string, exit: { at: string; exitCode: number }): Promise<void> {
    const to = phaseOfExitCode(exit.exitCode);
    const event: JobEvent = {
      at: exit.at,
      type: exit.exitCode === 0 ? 'Normal' : 'Warning',
      reason: 'RunnerExited',
      message: `${CONTAINER.runner} exited with ${exit.exitCode}`,
    };
    return this.write(jobId, 'runner_exited', (r, ignore) => {
      if (!r) return undefined;
      const events = mergeEvents(r.events, [event]);
      if (!mayMove(phaseState(r), to, 'runner')) {
        ignore(r.status, to);
        return { ...r, events };
      }
      return { ...r, status: to, finishedBy: 'runner', finishedAt: r.finishedAt ?? exit.at, events };
    });
  }

  /**
   * GitHub says the job completed: its conclusion settles the phase. `ranOnPodOf` names the job whose pod's runner
   * ran it, when that is another job's (a JIT runner takes any queued job with matching labels): that pod is where
   * it ran, so its placement and start times are copied over. Only a job with a record is written.
   */
  async completed(job: WorkflowJob, ranOnPodOf?: string): Promise<void> {
    const to = phaseOfConclusion(job.conclusion);
    const finishedAt = job.completedAt ?? new Date().toISOString();
    const host = ranOnPodOf === undefined ? undefined : await this.hostRecord(String(job.id), ranOnPodOf);
    const by: FinishedBy = 'github';
    const marks = stepMarks(job);
    return this.write(String(job.id), 'completed', (current, ignore) => {
      if (!current) return undefined;
      if (!mayMove(phaseState(current), to, by)) {
        ignore(current.status, to);
        return undefined;
      }
      const r = (marks && withMarks(current, marks)) || current;
      return {
        ...r,
        status: to,
        ...(job.conclusion ? { conclusion: job.conclusion } : {}),
        finishedBy: by,
        finishedAt,
        // A job rerouted to a workload pod keeps that pod's placement (written when it was created).
        ...(host && r.pod?.name !== workloadPodName(r.id) ? placementOfHost(host, job.createdAt) : {}),
      };
    });
  }

  /** The pod's Kubernetes Events, merged into the timeline, and what they say about image-cache use. */
  eventsCopied(jobId: string, events: readonly JobEvent[]): Promise<void> {
    return this.write(jobId, 'events_copied', (r) => {
      if (!r) return undefined;
      const cache = imageCacheUse(events, r.imageCache.images);
      const spot = spotFromEvents(r, events);
      return {
        ...r,
        events: mergeEvents(r.events, events),
        ...(cache ? { imageCache: { ...r.imageCache, ...cache } } : {}),
        ...(spot ? { spot } : {}),
      };
    });
  }

  /**
   * Base images the job's kaniko builds pulled (read from the kaniko container's log before cleanup): added
   * to its images as `kaniko-base`, whatever its phase — they are only known once the job finished, and the history
   * row's image uses are written from the finished record.
   */
  kanikoBasesPulled(jobId: string, refs: readonly string[]): Promise<void> {
    if (!refs.length) return Promise.resolve();
    return this.write(jobId, 'kaniko_bases', (r) => {
      const imageRoles = r && withKanikoBases(r.imageRoles, refs);
      return r && imageRoles ? { ...r, imageRoles } : undefined;
    });
  }

  /** The job's spot pod was reclaimed (seen at `at`). */
  spotReclaimed(jobId: string, at: string): Promise<boolean> {
    return this.tryWrite(jobId, 'spot_reclaimed', (r) => r && reclaimed(r, at));
  }

  /**
   * Claims the job's one automatic re-run (records/spot-record.ts `mayRerun`): the record as claimed, or undefined
   * when the job may not be re-run — or its claim could not be written, so nobody re-runs it twice.
   */
  async claimSpotRerun(jobId: string, at = new Date().toISOString()): Promise<StoredJob | undefined> {
    let claimed: StoredJob | undefined;
    const written = await this.tryWrite(jobId, 'spot_rerun', (r) => (claimed = r && claimRerun(r, at)));
    return written ? claimed : undefined;
  }

  /** A re-run attempt's record gets linked to the attempt it re-runs (`previous`), and that one lists it too. */
  async spotRerunQueued(jobId: string, previous: StoredJob): Promise<void> {
    let linked: StoredJob | undefined;
    await this.write(jobId, 'spot_attempts', (r) => (linked = r && linkRerun(r, previous)));
    if (linked) await this.spotAttemptChanged(previous.id, linked.spotAttempts!.at(-1)!);
  }

  /** `attempt` changed (it was queued, or finished): the record `recordId`, listing attempts, follows. */
  spotAttemptChanged(recordId: string, attempt: SpotAttempt): Promise<boolean> {
    return this.tryWrite(recordId, 'spot_attempts', (r) => r && attemptSettled(r, attempt));
  }

  /** Deletes the records whose TTL ran out; returns how many. Errors propagate: the next GC round retries. */
  pruneExpired(now = Date.now()): Promise<number> {
    return this.deps.store.prune(now);
  }

  private async hostRecord(jobId: string, hostJobId: string): Promise<StoredJob | undefined> {
    try {
      return await this.deps.store.get(hostJobId);
    } catch (err) {
      this.deps.log.warn('could not read the record of the pod that ran the job; its placement stays unknown', {
        job: jobId,
        host: hostJobId,
        err: (err as Error).message,
      });
      return undefined;
    }
  }

  /** Applies `change` through the store, retrying failed writes with backoff; never rejects. */
  private async write(jobId: string, what: LifecycleChange, change: Change): Promise<void> {
    await this.tryWrite(jobId, what, change);
  }

  /** `write`, resolving true once written (or when there was nothing to write), false when it gave up. */
  private async tryWrite(jobId: string, what: LifecycleChange, change: Change): Promise<boolean> {
    const { store, log, metrics, signal } = this.deps;
    for (let attempt = 1; ; attempt++) {
      let ignored: { phase: JobPhase; to?: JobPhase } | undefined;
      try {
        await store.update(jobId, (current) => {
          ignored = undefined;
          return change(current, (phase, to) => (ignored = { phase, ...(to ? { to } : {}) }));
        });
        if (ignored) log.debug('job event ignored in this phase', { job: jobId, change: what, ...ignored });
        return true;
      } catch (err) {
        const message = (err as Error).message;
        const delay = Math.min(this.retry.maxDelayMs, this.retry.firstDelayMs * 2 ** (attempt - 1));
        if (attempt < this.retry.attempts && !signal?.aborted) {
          log.warn('job record write failed; retrying', {
            job: jobId,
            change: what,
            attempt,
            retryInMs: delay,
            err: message,
          });
          const waited = await sleep(delay, true, signal ? { signal } : {}).catch(() => false);
          if (waited) continue;
        }
        log.error('job record write failed; giving up', {
          job: jobId,
          change: what,
          attempts: attempt,
          ...(signal?.aborted ? { reason: 'stopping' } : {}),
          err: message,
        });
        metrics.recordWriteFailures.inc({ change: what });
        return false;
      }
    }
  }
}
