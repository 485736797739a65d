/**
 * Periodic repair: removes job resources whose pod is gone (a crash between cleanup steps), pods whose runner
 * finished while nobody watched, runners registered by us that no pod backs any more, and expired job records.
 * All by runner slot (naming.ts): a job may have several, each with its own pod, Secret, identity and runner.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { LABEL } from '@eci-virtual/contract';
import type { KubeClients } from '../../kube/client.js';
import type { Logger } from '../../observability/logger.js';
import type { ControllerConfig } from '../config.js';
import type { GitHubClient } from '../github/github-client.js';
import { allJobsSelector, slotOfPod, slotOfResource, slotOfRunner } from './naming.js';
import { milestones } from './pod-tracker.js';

export interface GcDeps {
  kube: KubeClients;
  github: GitHubClient;
  config: ControllerConfig;
  log: Logger;
  /** Deletes the job records whose TTL ran out; returns how many. */
  pruneRecords: (now: number) => Promise<number>;
  pods: () => readonly V1Pod[];
  /** Cleans up one runner slot (its key). */
  cleanup: (slot: string) => Promise<void>;
  /** Whether the job of `slot` is being launched. */
  isBusy: (slot: string) => boolean;
  /**
   * Runner id → when a pass first found it unbacked (kept by the caller across passes). A runner is removed only
   * once it has stayed unbacked for GRACE_MS: a launch registers its runner before the JIT Secret and the pod exist,
   * and in a burst the informer can see the pod seconds after the launch ends, so one pass's snapshot of secrets,
   * pods and launches in flight cannot tell a runner being launched from a leftover.
   */
  unbackedRunners: Map<number, number>;
}

/** Resources younger than this are left alone: they may belong to a launch in progress. */
const GRACE_MS = 120_000;

export async function collectGarbage(
  deps: GcDeps,
  now = Date.now(),
): Promise<{ cleaned: string[]; runnersRemoved: number; recordsPruned: number }> {
  const ns = deps.config.namespace;
  const podSlots = new Set(
    deps
      .pods()
      .map(slotOfPod)
      .filter((x): x is string => !!x),
  );
  type Item = { metadata?: { name?: string; labels?: Record<string, string>; creationTimestamp?: Date } };
  const slotOf = (o: Item) => slotOfResource(o.metadata?.name) ?? o.metadata?.labels?.[LABEL.jobId];
  const orphans = new Set<string>();
  const consider = (items: Item[]) => {
    for (const o of items) {
      const slot = slotOf(o);
      const created = o.metadata?.creationTimestamp ? new Date(o.metadata.creationTimestamp).getTime() : now;
      if (slot && !podSlots.has(slot) && !deps.isBusy(slot) && now - created > GRACE_MS) orphans.add(slot);
    }
  };
  const [secrets, sas, roles] = await Promise.all([
    deps.kube.core.listNamespacedSecret({ namespace: ns, labelSelector: allJobsSelector }),
    deps.kube.core.listNamespacedServiceAccount({ namespace: ns, labelSelector: allJobsSelector }),
    deps.kube.rbac.listNamespacedRole({ namespace: ns, labelSelector: allJobsSelector }),
  ]);
  consider(secrets.items);
  consider(sas.items);
  consider(roles.items);
  for (const p of deps.pods()) if (milestones(p).finished) orphans.add(slotOfPod(p) ?? milestones(p).jobId);
  for (const id of orphans) await deps.cleanup(id);

  // A runner is ours to remove only when nothing of its job is left: the JIT Secret is created before the pod and
  // deleted with it, so a launch in flight (pod not yet seen by the informer) keeps its runner.
  const inFlight = new Set(secrets.items.map(slotOf).filter((x): x is string => !!x));
  let runnersRemoved = 0;
  const runners = await deps.github.listRunners(deps.config.runnerScope).catch(() => undefined);
  if (runners) {
    const backedNow = new Set(
      deps
        .pods()
        .map(slotOfPod)
        .filter((x): x is string => !!x),
    );
    const unbacked = new Set<number>();
    for (const r of runners) {
      const slot = slotOfRunner(r.name);
      if (
        !slot ||
        podSlots.has(slot) ||
        backedNow.has(slot) ||
        inFlight.has(slot) ||
        deps.isBusy(slot) ||
        r.status !== 'offline'
      )
        continue;
      unbacked.add(r.id);
      const since = deps.unbackedRunners.get(r.id) ?? now;
      deps.unbackedRunners.set(r.id, since);
      if (now - since < GRACE_MS) continue;
      await deps.github.deleteRunner(deps.config.runnerScope, r.id).catch(() => undefined);
      deps.unbackedRunners.delete(r.id);
      runnersRemoved++;
    }
    for (const id of deps.unbackedRunners.keys()) if (!unbacked.has(id)) deps.unbackedRunners.delete(id);
  }
  const recordsPruned = await deps.pruneRecords(now);
  if (orphans.size || runnersRemoved || recordsPruned)
    deps.log.info('garbage collected', { jobs: [...orphans], runnersRemoved, recordsPruned });
  return { cleaned: [...orphans], runnersRemoved, recordsPruned };
}
