/**
 * One controller replica. Every replica serves HTTP and takes webhooks (stored for the leader, delivery-inbox.ts);
 * the replica holding the Lease (leadership/) leads: for each term it runs a fresh Controller — launching and
 * cleaning up pods, reconciling, polling GitHub, garbage collection — and the dispatcher that hands it the stored
 * deliveries. A term ends when the lease is lost or the process stops; what it left unfinished is picked up from
 * Kubernetes and GitHub by the next term, here or on another replica.
 *
 * With `leaderElection.enabled: false` the replica leads unconditionally (one replica only).
 */
import type { KubeClients } from '../kube/client.js';
import type { Logger } from '../observability/logger.js';
import type { ControllerConfig } from './config.js';
import { Controller } from './controller.js';
import type { GitHubClient } from './github/github-client.js';
import { DeliveryDispatcher } from './intake/delivery-dispatcher.js';
import { DeliveryInbox, type AcceptedDelivery } from './intake/delivery-inbox.js';
import { pollQueuedJobs } from './intake/queued-jobs-poller.js';
import type { DeliveryIntake } from './intake/webhook-handler.js';
import { KubeLeaseLock } from './leadership/lease-lock.js';
import { LeaderElector } from './leadership/leader-elector.js';
import type { ControllerMetrics } from './metrics.js';
import type { JobHistoryStore } from './history/job-history-store.js';
import type { ImageCacheAutopilot } from './image-cache-autopilot/autopilot.js';
import type { JobRecordReader } from './records/stored-job.js';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkflowJob } from './github/workflow-job.js';
import type { HttpAnswer, WorkloadService } from './workloads/workload-service.js';

const notLeader = async (): Promise<HttpAnswer> => ({
  status: 503,
  body: { error: { code: 'unavailable', message: 'this controller replica does not lead now; ask again' } },
});

export interface ReplicaDeps {
  config: ControllerConfig;
  kube: KubeClients;
  github: GitHubClient;
  log: Logger;
  metrics: ControllerMetrics;
  /** The job history database, opened once per process (history/open-history.ts); undefined: ConfigMaps only. */
  history?: JobHistoryStore | undefined;
  /** The image-cache autopilot (image-cache-autopilot/start-autopilot.ts), run by the leader only, each term. */
  autopilot?: Pick<ImageCacheAutopilot, 'run'> | undefined;
}

export class ControllerReplica implements DeliveryIntake {
  /** Read-only records for the portal, on every replica. */
  readonly records: JobRecordReader;
  private readonly inbox: DeliveryInbox;
  private readonly elector: LeaderElector | undefined;
  private term: { controller: Controller; dispatcher: DeliveryDispatcher } | undefined;
  private readonly log: Logger;

  constructor(private readonly deps: ReplicaDeps) {
    const { config, kube } = deps;
    const { leaderElection: election } = config;
    this.log = deps.log.child({ replica: election.identity });
    this.records = Controller.recordReader(deps);
    this.inbox = new DeliveryInbox(kube, config.namespace, election.identity, deps.log);
    this.elector = election.enabled
      ? new LeaderElector({
          lock: new KubeLeaseLock(kube, config.namespace, election.leaseName),
          identity: election.identity,
          timing: election.timing,
          log: deps.log,
          onStartedLeading: (term) => this.lead(term),
        })
      : undefined;
    deps.metrics.leader.set(0);
  }

  /** Whether this replica leads now. */
  get isLeader(): boolean {
    return this.term !== undefined;
  }

  /** Ready to take webhooks: a follower once it has seen the lease, the leader once its controller listed its pods. */
  get isReady(): boolean {
    if (this.term) return this.term.controller.isReady;
    return !!this.elector?.leader;
  }

  /**
   * Keeps a delivery in Kubernetes for the leader (at once to this replica's dispatcher when it leads). When the API
   * server cannot take it, a leader still acts on it from memory — as a single controller always did — and a
   * follower rejects it (503).
   */
  async accept(d: AcceptedDelivery): Promise<'accepted' | 'duplicate'> {
    try {
      const { outcome, stored } = await this.inbox.accept(d);
      if (stored) this.term?.dispatcher.offer(stored);
      return outcome;
    } catch (err) {
      const controller = this.term?.controller;
      if (!controller) throw err;
      this.log.warn('could not store the webhook delivery; the leader acts on it from memory', {
        delivery: d.id,
        job: d.job.id,
        err: (err as Error).message,
      });
      const done = d.action === 'queued' ? controller.onQueued(d.job, 'webhook') : controller.onCompleted(d.job);
      void done.catch((e: unknown) => this.log.error('webhook processing failed', { err: (e as Error).message }));
      return 'accepted';
    }
  }

  /** A runner took a job (`in_progress`): a hint for the leader's matchmaking; followers drop it (the API has it). */
  onInProgress(job: WorkflowJob): void {
    this.term?.controller.onInProgress(job);
  }

  /**
   * `/v1/workloads` on every replica: the leader's matchmaker answers; a follower answers 503, which the hooks retry
   * (the Service spreads their requests over the replicas, and a leader change is such a window too).
   */
  readonly workloads: Pick<WorkloadService, 'request' | 'release'> = {
    request: (auth, raw) => this.term?.controller.workloads.request(auth, raw) ?? notLeader(),
    release: (auth, pod) => this.term?.controller.workloads.release(auth, pod) ?? notLeader(),
  };

  /** Follows and leads until `signal` aborts; then the current term's work stops and the lease is released. */
  async run(signal: AbortSignal): Promise<void> {
    if (this.elector) await this.elector.run(signal);
    else await this.lead(signal);
  }

  /** The image-cache autopilot for one term: passes until the term ends (it never throws; a pass logs its failure). */
  private async runAutopilot(term: AbortSignal): Promise<void> {
    const autopilot = this.deps.autopilot;
    if (!autopilot || term.aborted) return;
    const log = this.log.child({ component: 'image-cache-autopilot' });
    log.info('image cache autopilot started: this replica leads');
    try {
      await autopilot.run(term);
    } catch (err) {
      log.error('image cache autopilot stopped unexpectedly', { err: (err as Error).message });
    }
    log.info('image cache autopilot stopped', { reason: term.aborted ? 'term ended' : 'returned' });
  }

  private async lead(term: AbortSignal): Promise<void> {
    const { config, metrics, github } = this.deps;
    const controller = new Controller(this.deps);
    const dispatcher = new DeliveryDispatcher({
      kube: this.deps.kube,
      namespace: config.namespace,
      inbox: this.inbox,
      records: this.records,
      target: controller,
      log: this.deps.log,
      ttlMs: config.deliveryTtlMinutes * 60_000,
    });
    this.term = { controller, dispatcher };
    metrics.leader.set(1);
    metrics.leadershipTransitions.inc({ role: 'leader' });
    try {
      await Promise.all([
        controller.run(term, {
          poll: (signal) =>
            pollQueuedJobs({
              github,
              repositories: config.repositories,
              intervalSeconds: config.pollIntervalSeconds,
              runsPerRound: config.pollRunsPerRound,
              log: this.deps.log,
              onQueued: (job) => controller.onQueued(job, 'poll'),
              onRoundStart: () => controller.onPollRoundStart(),
              onRound: (repo, jobs) => controller.onPollRound(repo, jobs),
              knownRuns: (repo) => controller.queuedRunIds(repo),
              signal,
            }),
        }),
        (async () => {
          // Deliveries go to a controller that knows its pods, so a job whose pod exists is not launched again.
          while (!controller.isReady && !term.aborted) await sleep(50);
          if (!term.aborted) await dispatcher.run(term);
        })(),
        this.runAutopilot(term),
      ]);
    } finally {
      this.term = undefined;
      metrics.leader.set(0);
      metrics.leadershipTransitions.inc({ role: 'follower' });
    }
  }
}
