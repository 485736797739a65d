/**
 * Follows the job pods (an informer on our label): keeps the running count for the concurrency limit and reports each
 * pod's milestones (node → all containers running → runner exited) to the controller, which hands them to the job
 * lifecycle and cleans up when a runner is done. State comes from Kubernetes, so a restarted controller picks up
 * exactly where the old one stopped.
 */
import { makeInformer, type Informer, type ObjectCache, type V1Pod } from '@kubernetes/client-node';
import type { KubeClients } from '../../kube/client.js';
import type { Logger } from '../../observability/logger.js';
import { CONTAINER, LABEL } from '@eci-virtual/contract';
import { allJobsSelector } from './naming.js';

export interface PodMilestones {
  jobId: string;
  repo?: string;
  pod: V1Pod;
  nodeName?: string;
  runningAt?: string;
  /** The runner container ended (exit code) or the pod reached a terminal phase. */
  finished?: { at: string; exitCode: number };
}

export function milestones(pod: V1Pod): PodMilestones {
  const jobId = pod.metadata?.labels?.[LABEL.jobId] ?? '';
  const statuses = pod.status?.containerStatuses ?? [];
  const containers = pod.spec?.containers ?? [];
  const allRunning =
    containers.length > 0 && containers.every((c) => statuses.find((s) => s.name === c.name)?.state?.running);
  const started = statuses
    .map((s) => s.state?.running?.startedAt)
    .filter((d): d is Date => !!d)
    .map((d) => new Date(d).getTime());
  const runner = statuses.find((s) => s.name === CONTAINER.runner)?.state?.terminated;
  const phase = pod.status?.phase;
  const out: PodMilestones = { jobId, pod, ...(pod.spec?.nodeName ? { nodeName: pod.spec.nodeName } : {}) };
  if (allRunning && started.length) out.runningAt = new Date(Math.max(...started)).toISOString();
  if (runner) out.finished = { at: new Date(runner.finishedAt ?? Date.now()).toISOString(), exitCode: runner.exitCode };
  else if (phase === 'Succeeded' || phase === 'Failed')
    out.finished = { at: new Date().toISOString(), exitCode: phase === 'Succeeded' ? 0 : 1 };
  return out;
}

export class PodTracker {
  private informer: (Informer<V1Pod> & ObjectCache<V1Pod>) | undefined;

  constructor(
    private readonly kube: KubeClients,
    private readonly namespace: string,
    private readonly log: Logger,
    private readonly onPod: (m: PodMilestones, event: 'add' | 'update' | 'delete') => void,
  ) {}

  pods(): readonly V1Pod[] {
    return this.informer?.list(this.namespace) ?? [];
  }

  async run(signal: AbortSignal): Promise<void> {
    const informer = makeInformer<V1Pod>(
      this.kube.config,
      `/api/v1/namespaces/${this.namespace}/pods`,
      () => this.kube.core.listNamespacedPod({ namespace: this.namespace, labelSelector: allJobsSelector }),
      allJobsSelector,
    );
    this.informer = informer;
    informer.on('add', (p) => this.onPod(milestones(p), 'add'));
    informer.on('update', (p) => this.onPod(milestones(p), 'update'));
    informer.on('delete', (p) => this.onPod(milestones(p), 'delete'));
    informer.on('error', (err: unknown) => {
      if (signal.aborted) return;
      this.log.warn('pod informer failed; restarting in 2 s', { err: (err as Error)?.message });
      setTimeout(() => void informer.start().catch(() => undefined), 2_000);
    });
    await informer.start();
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    await informer.stop();
  }
}
