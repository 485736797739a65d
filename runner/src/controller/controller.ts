/**
 * The controller: queued GitHub jobs in (webhooks + polling), one job pod each out, cleanup when done.
 * Desired state is derived from GitHub and Kubernetes (pods, Secrets, records), never held only in memory:
 * a restarted controller re-lists pods and queued jobs and carries on.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ANNOTATION, COMPONENT, isVirtualNodeLabels, LABEL, type JobEvent } from '@eci-virtual/contract';
import type { V1Pod } from '@kubernetes/client-node';
import type { KubeClients } from '../kube/client.js';
import type { Logger } from '../observability/logger.js';
import type { ControllerConfig } from './config.js';
import type { GitHubClient } from './github/github-client.js';
import { isBound, servesLabels, type WorkflowJob } from './github/workflow-job.js';
import { CleanedSlots } from './jobs/cleaned-slots.js';
import { collectGarbage } from './jobs/garbage-collector.js';
import { runStalledPodBinder } from './scheduling/stalled-pod-binder.js';
import { cleanupJob, runnerLeftBehind } from './jobs/job-cleanup.js';
import { launchJob } from './jobs/job-launcher.js';
import { FairJobQueue } from './jobs/job-queue.js';
import { readPodEvents, startupRecorded } from './jobs/pod-events.js';
import { PodEventWatch, type PodRefForEvents } from './jobs/pod-event-watch.js';
import { PodTracker, type PodMilestones } from './jobs/pod-tracker.js';
import { JobLifecycle } from './lifecycle/job-lifecycle.js';
import type { ControllerMetrics } from './metrics.js';
import type { JobHistoryStore } from './history/job-history-store.js';
import { recordStore } from './records/record-store.js';
import type { JobRecordReader } from './records/stored-job.js';
import { reapIdleRunnerPods } from './jobs/idle-reaper.js';
import {
  isAvailable,
  jobsShortOfRunner,
  nextGeneration,
  slotOfRunnerPod,
  slotsOf,
  type JobSlot,
  type RunnerCensus,
} from './jobs/job-slots.js';
import { jobOfSlot, jobResourceName, parseSlot, runnerName, slotKey, slotOfPod, slotOfRunner } from './jobs/naming.js';
import { readKanikoBases } from './jobs/kaniko-bases.js';
import { runnerLogTail } from './jobs/runner-log-tail.js';
import { SpotReruns } from './jobs/spot-reruns.js';
import { RunnerJobs } from './workloads/runner-jobs.js';
import { WorkloadService } from './workloads/workload-service.js';
import { workloadKey } from './workloads/workload-token.js';
import { queueBreakdown } from './records/queue-breakdown.js';

/** Bound of the in-memory slot generations (a job's entry goes when it completes). */
const MAX_GENERATIONS = 5_000;
/** Bound of the in-memory set of jobs whose queue time was observed (redelivered completions observe nothing). */
const MAX_QUEUE_OBSERVED = 5_000;
/** How long a created pod the informer has not shown yet counts as a runner to come. */
const CREATED_GRACE_MS = 30_000;
/** A slot cleaned up this recently, with no new pod since, is not cleaned again. */
const CLEANED_MEMORY_MS = 120_000;
/** The pods-by-phase gauge is recounted at most this often. */
const PHASES_EVERY_MS = 1_000;
/** A poll round's runner list is not used for balancing after this long (a slow round). */
const CENSUS_MAX_AGE_MS = 30_000;

/** A pod as the event reads name it: name, uid and creation time (undefined for a pod without a name). */
function podRefForEvents(pod: V1Pod): PodRefForEvents | undefined {
  const { name, uid, creationTimestamp } = pod.metadata ?? {};
  if (!name) return undefined;
  return {
    name,
    ...(uid ? { uid } : {}),
    ...(creationTimestamp ? { createdAt: new Date(creationTimestamp).toISOString() } : {}),
  };
}

/** Sets `key` as the newest entry of `map`, forgetting the oldest beyond `max`. */
function setNewest<K, V>(map: Map<K, V>, key: K, value: V, max = MAX_GENERATIONS): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > max) map.delete(map.keys().next().value!);
}

export interface ControllerDeps {
  config: ControllerConfig;
  kube: KubeClients;
  github: GitHubClient;
  log: Logger;
  metrics: ControllerMetrics;
  /** The job history database (history/); without it records stay in ConfigMaps only. */
  history?: JobHistoryStore | undefined;
}

export class Controller {
  /** Read-only: every record write goes through `lifecycle`. */
  readonly records: JobRecordReader;
  private readonly lifecycle: JobLifecycle;
  /** Aborted when `run`'s signal is: stops the lifecycle's pending write retries. */
  private readonly stopping = new AbortController();
  private readonly queue = new FairJobQueue();
  private readonly launching = new Set<number>();
  private readonly cleaning = new Set<string>();
  /** Slots whose cleanup succeeded moments ago (bounded like the generations). */
  private readonly cleaned = new CleanedSlots({ memoryMs: CLEANED_MEMORY_MS, max: MAX_GENERATIONS });
  private readonly received = new Map<number, number>();
  private readonly recorded = new Map<string, { runningAt?: string; node?: string; finished?: boolean }>();
  /**
   * Slots cleaned up before their pod's start-up events were written (a short job can finish before the node reports
   * its pod): the pod whose events are read once more, into the slot's job, when the pod is gone — the node writes a
   * pod's last events before it removes the pod.
   */
  private readonly eventsAfterDelete = new Map<string, PodRefForEvents>();
  private readonly tracker: PodTracker;
  /** The job pods' events, from one watch (a LIST per pod tests every event of the namespace: pod-event-watch.ts). */
  private readonly podEvents: PodEventWatch;
  /** A job whose spot pod was reclaimed is re-run once (jobs/spot-reruns.ts). */
  private readonly spot: SpotReruns;
  private readonly nodeTypes = new Map<string, 'virtual' | 'regular'>();
  /** Which job each runner really took (in_progress webhooks, the API): records and cleanup follow it. */
  private readonly runnerJobs = new RunnerJobs();
  /** The highest runner slot generation launched per job (naming.ts); the pods say it after a restart. */
  private readonly generations = new Map<number, number>();
  /** The jobs GitHub says are queued (webhooks, each poll round), which runners must take (job-slots.ts). */
  private readonly queuedJobs = new Map<number, WorkflowJob>();
  /** Jobs whose next runner slot waits for GitHub to confirm they are still queued. */
  private readonly confirming = new Set<number>();
  /** Slots whose pod was created, until the informer shows it (so `balance` does not open another meanwhile). */
  private readonly created = new Map<string, number>();
  /** Jobs whose queue breakdown went into the histogram (bounded, oldest forgotten first). */
  private readonly queueObserved = new Set<string>();
  /** GitHub's runner list taken at the start of the current poll round. */
  private census: RunnerCensus | undefined;
  /** `/v1/workloads`: the runner pods' hooks ask for a pod of the job their runner took (workloads/). */
  readonly workloads: WorkloadService;
  private ready = false;
  private phasesTimer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: ControllerDeps) {
    // One Controller per leadership term, and the leader is the only writer of job records (one-writer.test.ts).
    const store = recordStore(deps, true);
    this.records = store;
    this.stopping.signal.addEventListener('abort', () => store.stop?.(), { once: true });
    // Records a previous leader could only spill to ConfigMaps go into the database now.
    void store.drain?.();
    this.lifecycle = new JobLifecycle({ store, log: deps.log, metrics: deps.metrics, signal: this.stopping.signal });
    this.tracker = new PodTracker(deps.kube, deps.config.namespace, deps.log, (m, ev) => this.onPod(m, ev));
    this.podEvents = new PodEventWatch({
      kube: deps.kube,
      namespace: deps.config.namespace,
      log: deps.log.child({ component: 'pod-event-watch' }),
    });
    this.spot = new SpotReruns({ lifecycle: this.lifecycle, records: store, github: deps.github, log: deps.log });
    this.workloads = new WorkloadService({
      ...deps,
      key: workloadKey(deps.config),
      runnerJobs: this.runnerJobs,
      events: {
        matched: (_job, _podJob, relation) => deps.metrics.jobsByShape.inc({ relation }),
        created: (job, launched) => void this.lifecycle.podCreated(job, launched),
        ready: (jobId, pod) => {
          const node = pod.spec?.nodeName;
          if (node) void this.nodeType(node).then((type) => this.lifecycle.scheduled(jobId, { name: node, type }));
          void this.lifecycle.running(jobId, new Date().toISOString());
        },
      },
    });
  }

  /** `workflow_job.in_progress`: which runner took the job; it waits for no runner any more. */
  onInProgress(job: WorkflowJob): void {
    this.runnerJobs.note(job);
    this.queuedJobs.delete(job.id);
    void this.lifecycle.assigned(job);
  }

  /**
   * A poll round starts: GitHub's runner list, taken BEFORE the queued jobs are listed, so a runner busy in it took a
   * job that is not in the list (had it been taken the other way round, a job taken in between would count twice).
   */
  async onPollRoundStart(): Promise<void> {
    this.census = undefined;
    if (!this.queuedJobs.size && !this.tracker.index.size) return;
    const at = Date.now();
    this.census = await this.deps.github
      .listRunners(this.deps.config.runnerScope)
      .then((runners): RunnerCensus => ({ at, runners }))
      .catch((err: unknown) => {
        this.deps.log.debug('could not list the runners; balancing on what the webhooks said', {
          err: (err as Error).message,
        });
        return undefined;
      });
  }

  /**
   * A poll round's queued jobs of `repo` (after each went through `onQueued`): the controller's list of waiting jobs
   * is replaced by GitHub's, and with the round's runner list (webhooks may be lost) every waiting job must have a
   * runner that may take it (job-slots.ts). When the round read only some of the repository's runs
   * (`pollRunsPerRound`), the list holds the queued jobs of those runs only: the jobs of the others are not known to
   * be still queued (a job's `in_progress` webhook may have reached another replica, which does not pass it on), and
   * counting them would open runner slots for jobs a runner already took.
   */
  async onPollRound(repo: string, jobs: readonly WorkflowJob[]): Promise<void> {
    const listed = new Set(jobs.map((j) => j.id));
    for (const [id, job] of this.queuedJobs)
      if (job.repo.toLowerCase() === repo.toLowerCase() && !listed.has(id)) this.queuedJobs.delete(id);
    const census = this.census && Date.now() - this.census.at < CENSUS_MAX_AGE_MS ? this.census : undefined;
    this.balance('poll', census);
  }

  /** The runs of `repo` the controller holds a queued job of (a poll round reads the runs it knows nothing of first). */
  queuedRunIds(repo: string): Set<number> {
    const runs = new Set<number>();
    for (const job of this.queuedJobs.values()) if (job.repo.toLowerCase() === repo.toLowerCase()) runs.add(job.runId);
    return runs;
  }

  /**
   * Opens another runner slot for queued jobs when fewer runners may still take a job than jobs wait (job-slots.ts):
   * after a runner was lost without taking one (reaped after its own job completed elsewhere, crashed, removed).
   */
  private balance(reason: string, census?: RunnerCensus): void {
    if (!this.ready || !this.queuedJobs.size) return;
    const known = (runner: string) => this.runnerJobs.known(runner);
    const pods = this.tracker.pods();
    const available = pods
      .map(slotOfRunnerPod)
      .filter((s): s is JobSlot => s !== undefined && isAvailable(s, known, census));
    // Pods created moments ago that the informer has not shown yet are runners to come, like launches in flight.
    const now = Date.now();
    for (const [slot, at] of this.created)
      if (now - at > CREATED_GRACE_MS || this.tracker.index.get(jobResourceName(slot))) this.created.delete(slot);
    const createdFor = new Set([...this.created.keys()].map(jobOfSlot));
    const inFlight = (id: number) =>
      this.launching.has(id) || this.queue.has(id) || this.confirming.has(id) || createdFor.has(String(id));
    const short = jobsShortOfRunner(
      [...this.queuedJobs.values()],
      available,
      inFlight,
      this.launching.size + this.queue.size + this.confirming.size + this.created.size,
      (job) => isBound(job.labels),
    );
    for (const job of short)
      void this.addSlot(job, { reason, queued: this.queuedJobs.size, available: available.length });
  }

  /** Another runner slot for `job`, once GitHub confirms it is still queued (the list of queued jobs may be stale). */
  private async addSlot(job: WorkflowJob, why: { reason: string; queued: number; available: number }): Promise<void> {
    this.confirming.add(job.id);
    try {
      const now = await this.deps.github.getJob(job.repo, job.id).catch((err: unknown) => {
        this.deps.log.debug('could not confirm a queued job; the next round asks again', {
          job: job.id,
          err: (err as Error).message,
        });
        return undefined;
      });
      if (!now) return;
      if (now.status !== 'queued') {
        this.queuedJobs.delete(job.id);
        this.runnerJobs.note(now);
        return;
      }
      if (this.launching.has(job.id) || this.queue.has(job.id)) return;
      const slots = this.slotsOfJob(String(job.id));
      this.deps.log.info('fewer runners than queued jobs: another runner slot for a job without one', {
        job: job.id,
        repo: job.repo,
        ...why,
        slots: slots.map((s) => ({
          pod: s.pod.metadata?.name,
          runner: s.runner,
          took: this.runnerJobs.known(s.runner)?.id,
        })),
      });
      this.queue.push(job);
      this.deps.metrics.jobsTotal.inc({ event: 'runner_slot_added' });
      this.deps.metrics.queueDepth.set(this.queue.size);
    } finally {
      this.confirming.delete(job.id);
    }
    this.pump();
  }

  /** The job records, read-only: for the portal of every replica, leading or not. */
  static recordReader(deps: Pick<ControllerDeps, 'config' | 'kube' | 'log' | 'history'>): JobRecordReader {
    return recordStore(deps);
  }

  get isReady(): boolean {
    return this.ready;
  }

  /** Whether a job waits in the queue or is being launched (its webhook delivery is not settled yet). */
  isPending(jobId: number): boolean {
    return this.queue.has(jobId) || this.launching.has(jobId);
  }

  /**
   * A queued job from a webhook or the poller. Returns what happened, for logs and tests. A job that has had a runner
   * slot is known: whether it needs another is for `balance`, over all queued jobs.
   */
  async onQueued(job: WorkflowJob, source: 'webhook' | 'poll'): Promise<'ignored' | 'known' | 'queued'> {
    if (!servesLabels(job.labels, this.deps.config.labels) || !this.inScope(job.repo)) return 'ignored';
    this.queuedJobs.set(job.id, job);
    if (this.launching.has(job.id) || this.queue.has(job.id)) return 'known';
    if (this.slotsOfJob(String(job.id)).length || this.generations.has(job.id)) return 'known';
    const receivedAt = new Date().toISOString();
    this.received.set(job.id, performance.now());
    this.queue.push(job);
    this.deps.metrics.queueDepth.set(this.queue.size);
    this.deps.metrics.jobsTotal.inc({ event: `queued_${source}` });
    this.pump();
    // The record is written after the pod is requested: the pod is what the job waits for.
    const { cpu, memory } = this.deps.config.placement;
    await this.lifecycle.queued(job, { cpu, memory }, receivedAt);
    await this.spot.queued(job);
    return 'queued';
  }

  /** A `workflow_job.completed` (or a poll finding it completed): clean up the pod whose runner ran it. */
  async onCompleted(job: WorkflowJob): Promise<void> {
    this.queue.remove(job.id);
    this.queuedJobs.delete(job.id);
    this.runnerJobs.note(job);
    const id = String(job.id);
    const viaSlot = slotOfRunner(job.runnerName);
    const viaJob = viaSlot === undefined ? undefined : jobOfSlot(viaSlot);
    // Only this job's record gets its outcome. A JIT runner takes any queued job with matching labels, so when the
    // runner of another job's pod ran it, that pod is where it ran (the pod's own job is then run by some other
    // runner and gets its record from its own completion).
    const swappedInto = viaJob !== undefined && viaJob !== id ? viaJob : undefined;
    if (swappedInto) this.deps.metrics.runnerSwaps.inc();
    await this.lifecycle.completed(job, swappedInto);
    void this.observeQueueTime(id);
    await this.spot.completed(id);
    if (viaSlot) await this.cleanup(viaSlot);
    // The job's other slots (its runner took another job, or it got another slot, or it was cancelled while
    // queued): their runners would idle forever. Remove each runner first — GitHub refuses while it runs a job —
    // then its pod.
    const others = this.slotsOfJob(id).filter((s) => s.key !== viaSlot);
    for (const s of others) await this.reapIdle(s.key);
    if (!others.length && viaSlot !== id) await this.cleanup(id);
    this.generations.delete(job.id);
    this.balance('completed');
  }

  /**
   * The job's queue breakdown into `eci_virtual_job_queue_seconds`, once per job (completions are redelivered). It
   * reads the record back rather than taking it from the completion's write: a redelivered completion writes nothing
   * but may still find a breakdown the first one could not complete.
   */
  private async observeQueueTime(jobId: string): Promise<void> {
    if (this.queueObserved.has(jobId)) return;
    const record = await this.records.get(jobId).catch(() => undefined);
    const breakdown = record && queueBreakdown(record);
    if (!breakdown?.complete || this.queueObserved.has(jobId)) return;
    this.queueObserved.add(jobId);
    if (this.queueObserved.size > MAX_QUEUE_OBSERVED)
      this.queueObserved.delete(this.queueObserved.values().next().value!);
    for (const p of breakdown.phases) this.deps.metrics.jobQueueSeconds.observe({ phase: p.phase }, p.ms / 1000);
  }

  private async reapIdle(slot: string): Promise<boolean> {
    const runnerId = Number(this.podOfSlot(slot)?.metadata?.labels?.[LABEL.runnerId]);
    if (!Number.isFinite(runnerId)) return false;
    try {
      await this.deps.github.deleteRunner(this.deps.config.runnerScope, runnerId);
    } catch (err) {
      this.deps.log.debug('runner busy with another job; its pod stays', {
        job: jobOfSlot(slot),
        slot,
        err: (err as Error).message,
      });
      return false;
    }
    await this.cleanup(slot);
    return true;
  }

  /** The job the runner of slot `slot`'s pod ran, when GitHub told us. */
  private tookBy(slot: string): WorkflowJob | undefined {
    return this.runnerJobs.known(this.runnerOfSlot(slot));
  }

  /**
   * The job the runner of slot `slot`'s pod ran: the one GitHub says it took, else the pod's own job — unless the slot
   * is a later one, whose runner is not known to have run any job.
   */
  private ranBy(slot: string): string | undefined {
    const took = this.tookBy(slot);
    return took ? String(took.id) : (parseSlot(slot)?.generation ?? 1) > 1 ? undefined : jobOfSlot(slot);
  }

  private runnerOfSlot(slot: string): string {
    return this.podOfSlot(slot)?.metadata?.annotations?.[ANNOTATION.runnerName] ?? runnerName(slot);
  }

  /**
   * The pod's milestones say nothing about where its own job runs: its runner took another job, or another runner
   * took its job.
   */
  private ranElsewhere(slot: string): boolean {
    const own = jobOfSlot(slot);
    const mine = this.runnerOfSlot(slot);
    const took = this.runnerJobs.known(mine);
    if (took && String(took.id) !== own) return true;
    const runner = this.runnerJobs.runnerOf(own);
    return runner !== undefined && runner !== mine;
  }

  /** Repository runners serve their repository only; organization runners any repository of the organization. */
  private inScope(repo: string): boolean {
    const scope = this.deps.config.runnerScope;
    return scope.kind === 'repo'
      ? scope.repo.toLowerCase() === repo.toLowerCase()
      : repo.toLowerCase().startsWith(`${scope.org.toLowerCase()}/`);
  }

  /** The runner pod of one slot (naming.ts). */
  private podOfSlot(slot: string) {
    return this.tracker.index.get(jobResourceName(slot));
  }

  /** The runner slots job `jobId` has pods for. */
  private slotsOfJob(jobId: string): JobSlot[] {
    return slotsOf(this.tracker.index.ofJob(jobId), jobId);
  }

  private runningIn = (repo: string): number => this.tracker.index.inRepo(repo);

  private pump(): void {
    if (!this.ready) return;
    const { config, metrics, log } = this.deps;
    while (this.tracker.index.size + this.launching.size < config.maxConcurrentJobs) {
      const job = this.queue.next(this.runningIn, config.maxJobsPerRepo);
      if (!job) break;
      metrics.queueDepth.set(this.queue.size);
      this.launching.add(job.id);
      const generation = nextGeneration(
        this.tracker.index.ofJob(String(job.id)),
        String(job.id),
        this.generations.get(job.id),
      );
      const slot = slotKey(job.id, generation);
      void launchJob(this.deps, job, slot)
        .then((launched) => {
          this.noteGeneration(job.id, generation);
          if (!this.podOfSlot(slot)) this.created.set(slot, Date.now());
          if (!launched) return;
          const t0 = this.received.get(job.id);
          if (t0 !== undefined) metrics.webhookToPodSeconds.observe((performance.now() - t0) / 1000);
          metrics.jobsTotal.inc({ event: 'pod_created' });
          // The pod is what the job waits for; its record follows without holding up the next launch.
          void this.lifecycle.podCreated(job, launched);
        })
        .catch(async (err) => {
          log.error('launching job failed; it stays queued on GitHub and the poller retries', {
            job: job.id,
            repo: job.repo,
            err: (err as Error).message,
          });
          metrics.jobsTotal.inc({ event: 'launch_failed' });
          await this.lifecycle.launchFailed(String(job.id), (err as Error).message);
        })
        .finally(() => {
          this.launching.delete(job.id);
          this.received.delete(job.id);
          this.pump();
        });
    }
  }

  private noteGeneration(jobId: number, generation: number): void {
    if ((this.generations.get(jobId) ?? 0) >= generation) return;
    setNewest(this.generations, jobId, generation);
  }

  private onPod(m: PodMilestones, event: 'add' | 'update' | 'delete'): void {
    if (!m.jobId) return;
    const slot = slotOfPod(m.pod) ?? m.jobId;
    // The informer shows the pod: it counts as itself now, not as a launch to come (a slot left here after its pod
    // was deleted would count as a runner on its way and strand its job until the grace ran out).
    this.created.delete(slot);
    this.updatePhases();
    if (event === 'delete') {
      this.recorded.delete(slot);
      const late = this.eventsAfterDelete.get(slot);
      const gone = podRefForEvents(m.pod);
      if (late && late.uid === m.pod.metadata?.uid) {
        this.eventsAfterDelete.delete(slot);
        // A LIST, not the watch: the pod's deletion and its last events come on different watches, in no set order,
        // while a LIST made now is sure to hold what the node wrote before it removed the pod.
        void this.copyPodEvents(jobOfSlot(slot), late, 'list').finally(() => gone && this.podEvents.forget(gone));
      } else if (gone) this.podEvents.forget(gone);
      this.pump();
      this.balance('runner pod deleted');
      return;
    }
    const seen = this.recorded.get(slot) ?? {};
    this.recorded.set(slot, seen);
    if (m.finished && !seen.finished) {
      seen.finished = true;
      // The runner's exit is about the job it ran, which may be another than its pod's (issue #18). A later slot's
      // runner that is not known to have run a job says nothing about any job's outcome.
      const ran = this.ranBy(slot);
      this.deps.log.info('runner finished', {
        job: m.jobId,
        slot,
        ran,
        pod: m.pod.metadata?.name,
        exitCode: m.finished.exitCode,
      });
      const exited = m.finished;
      void this.failedRunnerLog(slot, exited.exitCode)
        .then(() => (ran === undefined ? undefined : this.lifecycle.runnerExited(ran, exited)))
        .then(() => (ran === m.jobId ? this.spotCheck(slot, m.pod) : undefined))
        .then(() => this.cleanup(slot));
      return;
    }
    if (this.ranElsewhere(slot)) return;
    if (m.nodeName && seen.node !== m.nodeName) {
      seen.node = m.nodeName;
      const name = m.nodeName;
      const at = new Date().toISOString();
      void this.nodeType(name).then((type) => this.lifecycle.scheduled(m.jobId, { name, type }, at));
    }
    if (m.runningAt && !seen.runningAt) {
      // Kubernetes timestamps have second precision; the moment we observe it is the better figure for latencies.
      seen.runningAt = new Date().toISOString();
      const queuedAt = Date.parse(m.pod.metadata?.annotations?.[ANNOTATION.queuedAt] ?? '');
      if (Number.isFinite(queuedAt))
        this.deps.metrics.queuedToRunningSeconds.observe(Math.max(0, Date.parse(seen.runningAt) - queuedAt) / 1000);
      void this.lifecycle.running(m.jobId, seen.runningAt).then(() => this.recordPodEvents(slot));
    }
  }

  /** The pods-by-phase gauge, at most once a second (it walks every pod; a burst of events would do it per event). */
  private updatePhases(): void {
    if (this.phasesTimer) return;
    this.phasesTimer = setTimeout(() => {
      this.phasesTimer = undefined;
      this.countPhases();
    }, PHASES_EVERY_MS);
    this.phasesTimer.unref();
  }

  private countPhases(): void {
    const counts: Record<string, number> = { Pending: 0, Running: 0, Succeeded: 0, Failed: 0, Unknown: 0 };
    for (const p of this.tracker.pods())
      counts[p.status?.phase ?? 'Pending'] = (counts[p.status?.phase ?? 'Pending'] ?? 0) + 1;
    for (const [phase, n] of Object.entries(counts)) this.deps.metrics.podsByPhase.set({ phase }, n);
  }

  private async nodeType(name: string): Promise<'virtual' | 'regular'> {
    const known = this.nodeTypes.get(name);
    if (known) return known;
    const node = await this.deps.kube.core.readNode({ name }).catch(() => undefined);
    const type = isVirtualNodeLabels(node?.metadata?.labels) ? 'virtual' : 'regular';
    this.nodeTypes.set(name, type);
    return type;
  }

  /**
   * Copies a job pod's Kubernetes Events into the record of the job it serves (the lifecycle reads image-cache use
   * from them): only while the pod's runner runs that job or nothing else. `last`: the pod is about to be deleted;
   * if its start-up events are not written yet, they are read again once it is gone.
   */
  private async recordPodEvents(slot: string, last = false): Promise<JobEvent[]> {
    const pod = this.podOfSlot(slot);
    if (!pod?.metadata?.name || this.ranElsewhere(slot)) return [];
    const jobId = jobOfSlot(slot);
    const ref = podRefForEvents(pod)!;
    const events = await this.copyPodEvents(jobId, ref);
    if (last && !startupRecorded(events)) setNewest(this.eventsAfterDelete, slot, ref);
    return events;
  }

  private async copyPodEvents(jobId: string, pod: PodRefForEvents, from?: 'list'): Promise<JobEvent[]> {
    const watched = from === 'list' ? undefined : this.podEvents.eventsOf(pod);
    this.deps.metrics.podEventReads.inc({ source: watched ? 'watch' : 'list' });
    const events =
      watched ??
      (await readPodEvents(this.deps.kube, this.deps.config.namespace, pod).catch((err: unknown) => {
        this.deps.log.debug('could not read the pod events for the job record', {
          job: jobId,
          pod: pod.name,
          err: (err as Error).message,
        });
        return [];
      }));
    if (events.length) await this.lifecycle.eventsCopied(jobId, events);
    return events;
  }

  /** A finished pod's events go into its job's record (a spot fallback or reclaim among them) before cleanup. */
  private async spotCheck(slot: string, pod: V1Pod): Promise<void> {
    if (!pod.metadata?.annotations?.[ANNOTATION.spot]) return;
    const events = await this.recordPodEvents(slot);
    await this.spot.podFinished(jobOfSlot(slot), pod, events);
  }

  /**
   * The base images the pod's kaniko builds pulled go into the record of the job that ran them, when cleanup is about
   * to delete the pod and its log — whichever comes first, the runner's exit or GitHub's completion (best effort, a
   * few seconds at most: jobs/kaniko-bases.ts).
   */
  private async recordKanikoBases(jobId: string, pod: V1Pod): Promise<void> {
    const refs = await readKanikoBases(pod, {
      kube: this.deps.kube,
      namespace: this.deps.config.namespace,
      log: this.deps.log,
      job: jobId,
    });
    if (!refs.length) return;
    this.deps.log.debug('kaniko base images recorded', { job: jobId, pod: pod.metadata?.name, images: refs });
    await this.lifecycle.kanikoBasesPulled(jobId, refs);
  }

  /** A runner that exited with an error: its last lines go to the log before cleanup deletes the pod. */
  private async failedRunnerLog(slot: string, exitCode: number): Promise<void> {
    if (exitCode === 0) return;
    const pod = this.podOfSlot(slot)?.metadata?.name;
    if (!pod) return;
    const tail = await runnerLogTail(this.deps.kube, this.deps.config.namespace, pod);
    this.deps.log.warn('runner exited with an error', {
      job: jobOfSlot(slot),
      slot,
      pod,
      exitCode,
      lastLines: tail ?? 'unavailable',
    });
  }

  /** Removes one runner slot of a job (naming.ts; a bare job id is its first): pod, Secret, identity, runner. */
  async cleanup(slot: string): Promise<void> {
    if (this.cleaning.has(slot)) return;
    // Cleaned moments ago and no pod since: the runner's exit and the job's completion both clean the same slot, and
    // the second pass would only collect 404s from the API server (jobs/cleaned-slots.ts).
    if (this.cleaned.coveredFor(slot, this.podOfSlot(slot))) return;
    this.cleaning.add(slot);
    this.created.delete(slot);
    try {
      const pod = this.podOfSlot(slot);
      const runnerId = Number(pod?.metadata?.labels?.[LABEL.runnerId]);
      // Last chance to read the pod's events and its kaniko log: they are garbage once the pod is deleted.
      if (pod) await this.recordPodEvents(slot, true);
      const ran = pod && this.ranBy(slot);
      if (pod && ran !== undefined) await this.recordKanikoBases(ran, pod);
      await cleanupJob(
        {
          kube: this.deps.kube,
          github: this.deps.github,
          namespace: this.deps.config.namespace,
          scope: this.deps.config.runnerScope,
          log: this.deps.log,
          workloads: this.deps.config.workloads.controllerUrl !== undefined,
        },
        slot,
        runnerLeftBehind(Number.isFinite(runnerId) ? runnerId : undefined, this.tookBy(slot)),
      );
      this.cleaned.note(slot, pod?.metadata?.uid);
    } catch (err) {
      this.deps.log.warn('cleanup failed; the garbage collector retries', {
        job: jobOfSlot(slot),
        slot,
        err: (err as Error).message,
      });
    } finally {
      this.cleaning.delete(slot);
    }
  }

  /** Runs until `signal` aborts: pod tracking, polling for queued jobs, garbage collection, stalled-pod binding. */
  async run(signal: AbortSignal, loops: { poll: (signal: AbortSignal) => Promise<void> }): Promise<void> {
    if (signal.aborted) this.stopping.abort();
    else signal.addEventListener('abort', () => this.stopping.abort(), { once: true });
    const tracking = this.tracker.run(signal);
    const watchingEvents = this.podEvents.run(signal);
    // Wait for the informer's initial list so existing pods count against the limit before launching anything.
    for (let i = 0; i < 100 && !signal.aborted && !this.tracker.index.size; i++) {
      const listed = await this.deps.kube.core
        .listNamespacedPod({
          namespace: this.deps.config.namespace,
          labelSelector: `${LABEL.component}=${COMPONENT.runnerJob}`,
          limit: 1,
        })
        .catch(() => undefined);
      if (listed && !listed.items.length) break;
      await sleep(100);
    }
    this.ready = true;
    this.pump();
    const unbackedRunners = new Map<number, number>();
    const gc = (async () => {
      while (!signal.aborted) {
        await collectGarbage({
          ...this.deps,
          pruneRecords: (now) => this.lifecycle.pruneExpired(now),
          pods: () => this.tracker.pods(),
          cleanup: (id) => this.cleanup(id),
          isBusy: (slot) => this.launching.has(Number(jobOfSlot(slot))),
          unbackedRunners,
        }).catch((err) => this.deps.log.warn('garbage collection failed', { err: (err as Error).message }));
        await sleep(this.deps.config.gcIntervalSeconds * 1000, undefined, { signal }).catch(() => undefined);
      }
    })();
    const reaper = (async () => {
      const every = Math.max(1, Math.floor(this.deps.config.idleReapSeconds / 2)) * 1000;
      while (!signal.aborted) {
        await sleep(every, undefined, { signal }).catch(() => undefined);
        if (signal.aborted) break;
        await reapIdleRunnerPods({
          ...this.deps,
          pods: () => this.tracker.pods(),
          reap: (slot) => this.reapIdle(slot),
        }).catch((err) => this.deps.log.warn('idle runner check failed', { err: (err as Error).message }));
      }
    })();
    const binder = runStalledPodBinder(
      {
        kube: this.deps.kube,
        namespace: this.deps.config.namespace,
        log: this.deps.log.child({ component: 'stalled-pod-binder' }),
        stallSeconds: this.deps.config.bindStalledPodsAfterSeconds,
        podsOn: (node) => this.tracker.index.perNode().get(node) ?? 0,
        onBound: () => this.deps.metrics.stalledPodsBound.inc(),
      },
      signal,
    );
    await Promise.all([tracking, watchingEvents, loops.poll(signal), gc, reaper, binder]);
  }
}
