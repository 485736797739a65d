/**
 * The controller: queued GitHub jobs in (webhooks + polling), one job pod each out, cleanup when done.
 * Desired state is derived from GitHub and Kubernetes (pods, Secrets, records), never held only in memory:
 * a restarted controller re-lists pods and queued jobs and carries on.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ANNOTATION, COMPONENT, isVirtualNodeLabels, LABEL } from '@eci-virtual/contract';
import type { KubeClients } from '../kube/client.js';
import type { Logger } from '../observability/logger.js';
import type { ControllerConfig } from './config.js';
import type { GitHubClient } from './github/github-client.js';
import { servesLabels, type WorkflowJob } from './github/workflow-job.js';
import { collectGarbage } from './jobs/garbage-collector.js';
import { cleanupJob } from './jobs/job-cleanup.js';
import { launchJob } from './jobs/job-launcher.js';
import { FairJobQueue } from './jobs/job-queue.js';
import { readPodEvents } from './jobs/pod-events.js';
import { PodTracker, type PodMilestones } from './jobs/pod-tracker.js';
import { JobLifecycle } from './lifecycle/job-lifecycle.js';
import type { ControllerMetrics } from './metrics.js';
import type { JobHistoryStore } from './history/job-history-store.js';
import { recordStore } from './records/record-store.js';
import type { JobRecordReader } from './records/stored-job.js';
import { reapIdleRunnerPods } from './jobs/idle-reaper.js';
import { runnerName } from './jobs/naming.js';
import { runnerLogTail } from './jobs/runner-log-tail.js';
import { RunnerJobs } from './workloads/runner-jobs.js';
import { WorkloadService } from './workloads/workload-service.js';
import { workloadKey } from './workloads/workload-token.js';

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
  private readonly received = new Map<number, number>();
  private readonly recorded = new Map<string, { runningAt?: string; node?: string; finished?: boolean }>();
  private readonly tracker: PodTracker;
  private readonly nodeTypes = new Map<string, 'virtual' | 'regular'>();
  /** Which job each runner really took (in_progress webhooks, the API): records and cleanup follow it. */
  private readonly runnerJobs = new RunnerJobs();
  /** `/v1/workloads`: the runner pods' hooks ask for a pod of the job their runner took (workloads/). */
  readonly workloads: WorkloadService;
  private ready = false;

  constructor(private readonly deps: ControllerDeps) {
    const store = recordStore(deps);
    this.records = store;
    this.stopping.signal.addEventListener('abort', () => store.stop?.(), { once: true });
    // Records a previous leader could only spill to ConfigMaps go into the database now.
    void store.drain?.();
    this.lifecycle = new JobLifecycle({ store, log: deps.log, metrics: deps.metrics, signal: this.stopping.signal });
    this.tracker = new PodTracker(deps.kube, deps.config.namespace, deps.log, (m, ev) => this.onPod(m, ev));
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

  /** `workflow_job.in_progress`: which runner took the job. */
  onInProgress(job: WorkflowJob): void {
    this.runnerJobs.note(job);
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

  /** A queued job from a webhook or the poller. Returns what happened, for logs and tests. */
  async onQueued(job: WorkflowJob, source: 'webhook' | 'poll'): Promise<'ignored' | 'known' | 'queued'> {
    if (!servesLabels(job.labels, this.deps.config.labels) || !this.inScope(job.repo)) return 'ignored';
    if (this.launching.has(job.id) || this.queue.has(job.id) || this.podOf(String(job.id))) return 'known';
    this.received.set(job.id, performance.now());
    this.queue.push(job);
    this.deps.metrics.queueDepth.set(this.queue.size);
    this.deps.metrics.jobsTotal.inc({ event: `queued_${source}` });
    this.pump();
    // The record is written after the pod is requested: the pod is what the job waits for.
    const { cpu, memory } = this.deps.config.placement;
    await this.lifecycle.queued(job, { cpu, memory });
    return 'queued';
  }

  /** A `workflow_job.completed` (or a poll finding it completed): clean up the pod whose runner ran it. */
  async onCompleted(job: WorkflowJob): Promise<void> {
    this.queue.remove(job.id);
    this.runnerJobs.note(job);
    const viaRunner = job.runnerName?.match(/^eci-virtual-(\d+)$/)?.[1];
    // Only this job's record gets its outcome. A JIT runner takes any queued job with matching labels, so when the
    // runner of another job's pod ran it, that pod is where it ran (the pod's own job is then run by some other
    // runner and gets its record from its own completion).
    const swappedInto = viaRunner && viaRunner !== String(job.id) ? viaRunner : undefined;
    if (swappedInto) this.deps.metrics.runnerSwaps.inc();
    await this.lifecycle.completed(job, swappedInto);
    if (viaRunner) await this.cleanup(viaRunner);
    if (viaRunner === String(job.id)) return;
    // The job ended without our runner of its pod (cancelled while queued, or another runner took it): that pod's
    // runner would idle forever. Remove the runner first — GitHub refuses while it runs a job — then the pod.
    if (this.podOf(String(job.id))) await this.reapIdle(String(job.id));
    else await this.cleanup(String(job.id));
  }

  private async reapIdle(jobId: string): Promise<boolean> {
    const runnerId = Number(this.podOf(jobId)?.metadata?.labels?.[LABEL.runnerId]);
    if (!Number.isFinite(runnerId)) return false;
    try {
      await this.deps.github.deleteRunner(this.deps.config.runnerScope, runnerId);
    } catch (err) {
      this.deps.log.debug('runner busy with another job; its pod stays', { job: jobId, err: (err as Error).message });
      return false;
    }
    await this.cleanup(jobId);
    return true;
  }

  /** The job the runner of `podJobId`'s pod ran, when GitHub told us; else the pod's own. */
  private ranBy(podJobId: string): string {
    const ran = this.runnerJobs.known(runnerName(podJobId));
    return ran ? String(ran.id) : podJobId;
  }

  /** Another runner took this pod's own job: the pod's milestones say nothing about where the job runs. */
  private ranElsewhere(podJobId: string): boolean {
    const runner = this.runnerJobs.runnerOf(podJobId);
    return runner !== undefined && runner !== runnerName(podJobId);
  }

  /** Repository runners serve their repository only; organization runners any repository of the organization. */
  private inScope(repo: string): boolean {
    const scope = this.deps.config.runnerScope;
    return scope.kind === 'repo'
      ? scope.repo.toLowerCase() === repo.toLowerCase()
      : repo.toLowerCase().startsWith(`${scope.org.toLowerCase()}/`);
  }

  private podOf(jobId: string) {
    return this.tracker.pods().find((p) => p.metadata?.labels?.[LABEL.jobId] === jobId);
  }

  private runningIn = (repo: string): number =>
    this.tracker.pods().filter((p) => p.metadata?.annotations?.[ANNOTATION.repository] === repo).length;

  private pump(): void {
    if (!this.ready) return;
    const { config, metrics, log } = this.deps;
    while (this.tracker.pods().length + this.launching.size < config.maxConcurrentJobs) {
      const job = this.queue.next(this.runningIn, config.maxJobsPerRepo);
      if (!job) break;
      metrics.queueDepth.set(this.queue.size);
      this.launching.add(job.id);
      void launchJob(this.deps, job)
        .then((launched) => {
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

  private onPod(m: PodMilestones, event: 'add' | 'update' | 'delete'): void {
    if (!m.jobId) return;
    this.updatePhases();
    if (event === 'delete') {
      this.recorded.delete(m.jobId);
      this.pump();
      return;
    }
    const seen = this.recorded.get(m.jobId) ?? {};
    this.recorded.set(m.jobId, seen);
    if (m.finished && !seen.finished) {
      seen.finished = true;
      // The runner's exit is about the job it ran, which may be another than its pod's (issue #18).
      const ran = this.ranBy(m.jobId);
      this.deps.log.info('runner finished', {
        job: m.jobId,
        ran,
        pod: m.pod.metadata?.name,
        exitCode: m.finished.exitCode,
      });
      const exited = m.finished;
      void this.failedRunnerLog(m.jobId, exited.exitCode)
        .then(() => this.lifecycle.runnerExited(ran, exited))
        .then(() => this.cleanup(m.jobId));
      return;
    }
    if (this.ranElsewhere(m.jobId)) return;
    if (m.nodeName && seen.node !== m.nodeName) {
      seen.node = m.nodeName;
      const name = m.nodeName;
      void this.nodeType(name).then((type) => this.lifecycle.scheduled(m.jobId, { name, type }));
    }
    if (m.runningAt && !seen.runningAt) {
      // Kubernetes timestamps have second precision; the moment we observe it is the better figure for latencies.
      seen.runningAt = new Date().toISOString();
      const queuedAt = Date.parse(m.pod.metadata?.annotations?.[ANNOTATION.queuedAt] ?? '');
      if (Number.isFinite(queuedAt))
        this.deps.metrics.queuedToRunningSeconds.observe(Math.max(0, Date.parse(seen.runningAt) - queuedAt) / 1000);
      void this.lifecycle.running(m.jobId, seen.runningAt).then(() => this.recordPodEvents(m.jobId));
    }
  }

  private updatePhases(): void {
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

  /** Copies the job pod's Kubernetes Events into its record (the lifecycle reads image-cache use from them). */
  private async recordPodEvents(jobId: string): Promise<void> {
    const pod = this.podOf(jobId);
    if (!pod?.metadata?.name) return;
    const events = await readPodEvents(this.deps.kube, this.deps.config.namespace, {
      name: pod.metadata.name,
      uid: pod.metadata.uid,
    }).catch((err: unknown) => {
      this.deps.log.debug('could not read the pod events for the job record', {
        job: jobId,
        pod: pod.metadata?.name,
        err: (err as Error).message,
      });
      return [];
    });
    if (events.length) await this.lifecycle.eventsCopied(jobId, events);
  }

  /** A runner that exited with an error: its last lines go to the log before cleanup deletes the pod. */
  private async failedRunnerLog(jobId: string, exitCode: number): Promise<void> {
    if (exitCode === 0) return;
    const pod = this.podOf(jobId)?.metadata?.name;
    if (!pod) return;
    const tail = await runnerLogTail(this.deps.kube, this.deps.config.namespace, pod);
    this.deps.log.warn('runner exited with an error', { job: jobId, pod, exitCode, lastLines: tail ?? 'unavailable' });
  }

  async cleanup(jobId: string): Promise<void> {
    if (this.cleaning.has(jobId)) return;
    this.cleaning.add(jobId);
    try {
      const pod = this.podOf(jobId);
      const runnerId = Number(pod?.metadata?.labels?.[LABEL.runnerId]);
      // Last chance to read the pod's events: they are garbage once the pod is deleted.
      if (pod) await this.recordPodEvents(jobId);
      await cleanupJob(
        {
          kube: this.deps.kube,
          github: this.deps.github,
          namespace: this.deps.config.namespace,
          scope: this.deps.config.runnerScope,
          log: this.deps.log,
        },
        jobId,
        Number.isFinite(runnerId) ? runnerId : undefined,
      );
    } catch (err) {
      this.deps.log.warn('cleanup failed; the garbage collector retries', { job: jobId, err: (err as Error).message });
    } finally {
      this.cleaning.delete(jobId);
    }
  }

  /** Runs until `signal` aborts: pod tracking, polling for queued jobs, garbage collection. */
  async run(signal: AbortSignal, loops: { poll: (signal: AbortSignal) => Promise<void> }): Promise<void> {
    if (signal.aborted) this.stopping.abort();
    else signal.addEventListener('abort', () => this.stopping.abort(), { once: true });
    const tracking = this.tracker.run(signal);
    // Wait for the informer's initial list so existing pods count against the limit before launching anything.
    for (let i = 0; i < 100 && !signal.aborted && !this.tracker.pods().length; i++) {
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
    const gc = (async () => {
      while (!signal.aborted) {
        await collectGarbage({
          ...this.deps,
          pruneRecords: (now) => this.lifecycle.pruneExpired(now),
          pods: () => this.tracker.pods(),
          cleanup: (id) => this.cleanup(id),
          isBusy: (id) => this.launching.has(Number(id)),
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
          reap: (id) => this.reapIdle(id),
        }).catch((err) => this.deps.log.warn('idle runner check failed', { err: (err as Error).message }));
      }
    })();
    await Promise.all([tracking, loops.poll(signal), gc, reaper]);
  }
}
