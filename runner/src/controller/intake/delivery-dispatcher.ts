/**
 * The leader's side of the delivery hand-over (delivery-inbox.ts): follows the pending deliveries (an informer on
 * their label, so the backlog a dead leader left is listed first, then every new one as any replica stores it),
 * hands each to the controller and marks it done only once its effect is durable:
 *
 *   - `queued`: once the job has left the controller's queue — its pod created (or found), or its launch failed, which
 *     leaves it to the poller as before. A leader that dies earlier leaves the delivery pending for the next one.
 *   - `completed`: once the controller has recorded the outcome and cleaned up.
 *
 * Handling twice is harmless (launches are idempotent by name), but a `queued` delivery is skipped when the job's
 * record says it finished, or a `completed` delivery of the same job is pending too: no pod for a job that is over.
 * Runs for one leadership term; its signal ends it, and what is unfinished stays pending.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { makeInformer, type V1ConfigMap } from '@kubernetes/client-node';
import type { KubeClients } from '../../kube/client.js';
import type { Logger } from '../../observability/logger.js';
import type { WorkflowJob } from '../github/workflow-job.js';
import { isFinished } from '../lifecycle/phases.js';
import type { JobRecordReader } from '../records/stored-job.js';
import { PENDING_SELECTOR, storedDelivery, type DeliveryInbox, type StoredDelivery } from './delivery-inbox.js';

export interface DispatchTarget {
  onQueued(job: WorkflowJob, source: 'webhook'): Promise<unknown>;
  onCompleted(job: WorkflowJob): Promise<void>;
  /** True while the job waits in the controller's queue or is being launched. */
  isPending(jobId: number): boolean;
}

export interface DispatcherDeps {
  kube: KubeClients;
  namespace: string;
  inbox: Pick<DeliveryInbox, 'settle' | 'prune'>;
  records: Pick<JobRecordReader, 'get'>;
  target: DispatchTarget;
  log: Logger;
  /** How long handled deliveries are kept. */
  ttlMs: number;
  pruneIntervalMs?: number;
  /** How often a queued delivery checks whether its job left the queue. */
  settlePollMs?: number;
}

export class DeliveryDispatcher {
  /** Deliveries being handled or handled in this term, by object name. */
  private readonly seen = new Set<string>();
  /** Jobs with a pending or handled `completed` delivery in this term. */
  private readonly completedJobs = new Set<number>();
  private term: AbortSignal | undefined;

  constructor(private readonly deps: DispatcherDeps) {}

  /** A delivery this replica just stored: handled at once, without waiting for the informer to echo it. */
  offer(d: StoredDelivery): void {
    if (this.term && !this.term.aborted) this.take(d);
  }

  /** Starts a term without following the API server: deliveries come through `offer` only (tests). */
  attach(term: AbortSignal): void {
    this.term = term;
  }

  /** Follows pending deliveries until `term` aborts. */
  async run(term: AbortSignal): Promise<void> {
    this.attach(term);
    const { kube, namespace, log } = this.deps;
    const informer = makeInformer<V1ConfigMap>(
      kube.config,
      `/api/v1/namespaces/${namespace}/configmaps`,
      () => kube.core.listNamespacedConfigMap({ namespace, labelSelector: PENDING_SELECTOR }),
      PENDING_SELECTOR,
    );
    const onObject = (cm: V1ConfigMap) => {
      const d = storedDelivery(cm);
      if (d) this.take(d);
    };
    informer.on('add', onObject);
    informer.on('update', onObject);
    informer.on('delete', (cm) => cm.metadata?.name && this.seen.delete(cm.metadata.name));
    informer.on('error', (err: unknown) => {
      if (term.aborted) return;
      log.warn('delivery informer failed; restarting in 2 s', { err: (err as Error)?.message });
      setTimeout(() => void informer.start().catch(() => undefined), 2_000);
    });
    await informer.start().catch((err: unknown) => {
      log.warn('delivery informer failed to start; restarting in 2 s', { err: (err as Error)?.message });
      setTimeout(() => void informer.start().catch(() => undefined), 2_000);
    });
    const interval = this.deps.pruneIntervalMs ?? 60_000;
    while (!term.aborted) {
      await this.deps.inbox
        .prune(this.deps.ttlMs)
        .catch((err: unknown) => log.warn('pruning handled deliveries failed', { err: (err as Error).message }));
      await sleep(interval, undefined, { signal: term }).catch(() => undefined);
    }
    await informer.stop();
  }

  private take(d: StoredDelivery): void {
    if (this.seen.has(d.name)) return;
    this.seen.add(d.name);
    if (d.action === 'completed') this.completedJobs.add(d.job.id);
    void this.handle(d).catch((err: unknown) => {
      // Stays pending: the next term (or leader) hands it over again.
      this.seen.delete(d.name);
      this.deps.log.error('handling a webhook delivery failed; it stays pending', {
        delivery: d.id,
        job: d.job.id,
        err: (err as Error).message,
      });
    });
  }

  private async handle(d: StoredDelivery): Promise<void> {
    const { target, log } = this.deps;
    const term = this.term!;
    const dlog = log.child({ delivery: d.id, job: d.job.id, repo: d.job.repo, action: d.action });
    if (d.action === 'completed') {
      await target.onCompleted(d.job);
    } else {
      const skip = await this.skipQueued(d);
      if (skip) dlog.info('queued delivery not acted on', { reason: skip });
      else {
        await target.onQueued(d.job, 'webhook');
        const poll = this.deps.settlePollMs ?? 250;
        while (target.isPending(d.job.id) && !term.aborted) await sleep(poll);
      }
    }
    if (term.aborted) return; // the next leader takes it from here
    await this.settle(d);
    if (d.receivedBy) dlog.debug('webhook delivery handled', { receivedBy: d.receivedBy });
  }

  private async skipQueued(d: StoredDelivery): Promise<string | undefined> {
    if (this.completedJobs.has(d.job.id)) return 'a completed delivery of the job is here too';
    const record = await this.deps.records.get(String(d.job.id)).catch(() => undefined);
    if (record && isFinished(record.status)) return `the job's record says ${record.status}`;
    if (this.completedJobs.has(d.job.id)) return 'a completed delivery of the job is here too';
    return undefined;
  }

  private async settle(d: StoredDelivery): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.deps.inbox.settle(d.name);
        return;
      } catch (err) {
        if (attempt >= 4 || this.term?.aborted) throw err;
        await sleep(500 * attempt);
      }
    }
  }
}
