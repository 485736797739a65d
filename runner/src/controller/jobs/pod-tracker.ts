/**
 * Follows the job pods (an informer on our label): keeps the running count for the concurrency limit and reports each
 * pod's milestones (node → all containers running → runner exited) to the controller, which hands them to the job
 * lifecycle and cleans up when a runner is done. State comes from Kubernetes, so a restarted controller picks up
 * exactly where the old one stopped.
 */
import { makeInformer, type V1Pod } from '@kubernetes/client-node';
import type { KubeClients } from '../../kube/client.js';
import type { Logger } from '../../observability/logger.js';
import { ANNOTATION, CONTAINER, LABEL } from '@eci-virtual/contract';
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

/** Milestones by pod object: balancing asks for every pod's on each pass; an update brings a new object. */
const milestonesOf = new WeakMap<V1Pod, PodMilestones>();

export function milestones(pod: V1Pod): PodMilestones {
  const known = milestonesOf.get(pod);
  if (known) return known;
  const out = readMilestones(pod);
  milestonesOf.set(pod, out);
  return out;
}

function readMilestones(pod: V1Pod): PodMilestones {
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

/**
 * The job pods by name, job, repository and node, kept from the informer's events: what the controller asks on every
 * pod event and launch (is slot X's pod there, how many pods run for repository R or on node N) is answered without
 * walking every pod, which at 1000 pods made each event O(pods) and a burst of events O(pods²).
 */
export class PodIndex {
  private readonly byName = new Map<string, V1Pod>();
  private readonly byJob = new Map<string, Set<string>>();
  private readonly repoCount = new Map<string, number>();
  private readonly nodeCount = new Map<string, number>();
  private listed: readonly V1Pod[] | undefined;

  put(pod: V1Pod): void {
    const name = pod.metadata?.name;
    if (!name) return;
    this.remove(pod);
    this.byName.set(name, pod);
    const job = pod.metadata?.labels?.[LABEL.jobId];
    if (job) this.byJob.set(job, (this.byJob.get(job) ?? new Set()).add(name));
    bump(this.repoCount, pod.metadata?.annotations?.[ANNOTATION.repository], 1);
    bump(this.nodeCount, pod.spec?.nodeName, 1);
    this.listed = undefined;
  }

  remove(pod: V1Pod): void {
    const name = pod.metadata?.name;
    const old = name !== undefined ? this.byName.get(name) : undefined;
    if (!name || !old) return;
    this.byName.delete(name);
    const job = old.metadata?.labels?.[LABEL.jobId];
    const names = job !== undefined ? this.byJob.get(job) : undefined;
    if (names) {
      names.delete(name);
      if (!names.size) this.byJob.delete(job!);
    }
    bump(this.repoCount, old.metadata?.annotations?.[ANNOTATION.repository], -1);
    bump(this.nodeCount, old.spec?.nodeName, -1);
    this.listed = undefined;
  }

  get(name: string): V1Pod | undefined {
    return this.byName.get(name);
  }

  /** The pods of job `jobId` (one per runner slot). */
  ofJob(jobId: string): V1Pod[] {
    return [...(this.byJob.get(jobId) ?? [])].map((n) => this.byName.get(n)!);
  }

  /** Pods serving repository `repo` (its annotation, as written: owner/name). */
  inRepo(repo: string): number {
    return this.repoCount.get(repo) ?? 0;
  }

  /** Pods bound to each node. */
  perNode(): ReadonlyMap<string, number> {
    return this.nodeCount;
  }

  get size(): number {
    return this.byName.size;
  }

  /** Every pod; the same array until the next change. */
  all(): readonly V1Pod[] {
    return (this.listed ??= [...this.byName.values()]);
  }
}

function bump(counts: Map<string, number>, key: string | undefined, by: number): void {
  if (key === undefined) return;
  const n = (counts.get(key) ?? 0) + by;
  if (n > 0) counts.set(key, n);
  else counts.delete(key);
}

export class PodTracker {
  /** The informer's pods, indexed (kept from its add/update/delete events). */
  readonly index = new PodIndex();

  constructor(
    private readonly kube: KubeClients,
    private readonly namespace: string,
    private readonly log: Logger,
    private readonly onPod: (m: PodMilestones, event: 'add' | 'update' | 'delete') => void,
  ) {}

  pods(): readonly V1Pod[] {
    return this.index.all();
  }

  async run(signal: AbortSignal): Promise<void> {
    const informer = makeInformer<V1Pod>(
      this.kube.config,
      `/api/v1/namespaces/${this.namespace}/pods`,
      () => this.kube.core.listNamespacedPod({ namespace: this.namespace, labelSelector: allJobsSelector }),
      allJobsSelector,
    );
    informer.on('add', (p) => {
      this.index.put(p);
      this.onPod(milestones(p), 'add');
    });
    informer.on('update', (p) => {
      this.index.put(p);
      this.onPod(milestones(p), 'update');
    });
    informer.on('delete', (p) => {
      this.index.remove(p);
      this.onPod(milestones(p), 'delete');
    });
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
