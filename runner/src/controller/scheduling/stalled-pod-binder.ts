/**
 * Binds our pods that the scheduler has left unscheduled too long to a virtual node that fits them (node-fit.ts).
 *
 * Why: kube-scheduler sees new pods through a watch, and when the API server it watches goes away (restarted,
 * rotated, an outage of 5–20 s) client-go's reflector re-lists with exponential backoff — 800 ms doubling to 30 s,
 * with up to 100 % jitter (k8s.io/client-go/tools/cache/reflector.go, NewExponentialBackoffManager) — so a pod
 * created as the API server returns can wait ~60 s before the scheduler sees it, while a virtual node that could
 * run it at once is Ready. The chaos run measured exactly that (a 58 s wait after an API server restart). Our pods
 * ask only for a virtual node by label and tolerate its taint, so binding them is a small, safe subset of the
 * scheduler's work; it happens only after `stallSeconds`, so on a healthy cluster the scheduler always wins.
 *
 * A pod is taken when it has no node and either the scheduler never looked at it (no `PodScheduled` condition) for
 * `stallSeconds`, or it said `Unschedulable` at least 2 × `stallSeconds` ago and a node fits now (its view of the
 * nodes may be as stale as its view of the pods). The binding goes through `pods/binding`, as the scheduler's does:
 * if the scheduler binds first, ours is refused with 409 and nothing happens. Leader only; one pass every
 * PASS_MS, at most MAX_BINDS_PER_PASS bindings, cancellable.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { LABEL, MANAGED_BY, VIRTUAL_NODE_SELECTOR } from '@eci-virtual/contract';
import type { KubeClients } from '../../kube/client.js';
import type { Logger } from '../../observability/logger.js';
import { pickNode, unbindable } from './node-fit.js';

const PASS_MS = 2_000;
const MAX_BINDS_PER_PASS = 50;

export interface BinderDeps {
  kube: Pick<KubeClients, 'core'>;
  namespace: string;
  log: Logger;
  /** Seconds a pod may wait for the scheduler before the binder places it; 0 turns the binder off. */
  stallSeconds: number;
  /** Pods of ours already on a node (the controller's pod informer), to spread bindings. */
  podsOn: (node: string) => number;
  /** Counted once per binding made. */
  onBound?: (pod: string, node: string) => void;
}

/** How long `pod` has waited for the scheduler that counts here, in ms; undefined when it is not waiting. */
export function stalledFor(pod: V1Pod, now: number, stallMs: number): number | undefined {
  const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  if (scheduled?.status === 'True') return undefined;
  if (!scheduled) {
    const created = new Date(pod.metadata?.creationTimestamp ?? now).getTime();
    return now - created >= stallMs ? now - created : undefined;
  }
  if (scheduled.reason !== 'Unschedulable') return undefined;
  const since = new Date(scheduled.lastTransitionTime ?? now).getTime();
  return now - since >= 2 * stallMs ? now - since : undefined;
}

const statusOf = (err: unknown) =>
  (err as { code?: number; statusCode?: number }).code ?? (err as { statusCode?: number }).statusCode;

/** One pass: binds the stalled pods it can; returns how many it bound. */
export async function bindStalledPods(deps: BinderDeps, now = Date.now()): Promise<number> {
  const { kube, namespace, log } = deps;
  const stallMs = deps.stallSeconds * 1000;
  const unscheduled = await kube.core.listNamespacedPod({
    namespace,
    labelSelector: `${LABEL.managedBy}=${MANAGED_BY}`,
    fieldSelector: 'spec.nodeName=',
    resourceVersion: '0',
  });
  const stalled = unscheduled.items
    .filter((p) => unbindable(p) === undefined && stalledFor(p, now, stallMs) !== undefined)
    .slice(0, MAX_BINDS_PER_PASS);
  if (!stalled.length) return 0;
  const nodes: V1Node[] = (await kube.core.listNode({ labelSelector: VIRTUAL_NODE_SELECTOR })).items;
  const added = new Map<string, number>();
  const podsOn = (n: string) => deps.podsOn(n) + (added.get(n) ?? 0);
  let bound = 0;
  for (const pod of stalled) {
    const name = pod.metadata!.name!;
    const node = pickNode(pod, nodes, podsOn);
    const waitedMs = stalledFor(pod, now, stallMs)!;
    if (!node) {
      log.debug('stalled pod fits no virtual node; left to the scheduler', { pod: name, waitedMs });
      continue;
    }
    const target = node.metadata!.name!;
    try {
      await kube.core.createNamespacedPodBinding({
        name,
        namespace,
        body: {
          apiVersion: 'v1',
          kind: 'Binding',
          metadata: { name, namespace },
          target: { apiVersion: 'v1', kind: 'Node', name: target },
        },
      });
    } catch (err) {
      const code = statusOf(err);
      if (code === 409 || code === 404)
        log.debug('stalled pod was bound or deleted meanwhile', { pod: name, node: target, status: code });
      else
        log.warn('binding a stalled pod failed', {
          pod: name,
          node: target,
          status: code,
          err: (err as Error).message,
        });
      continue;
    }
    added.set(target, (added.get(target) ?? 0) + 1);
    bound++;
    deps.onBound?.(name, target);
    log.info('pod waited for the scheduler too long: bound to a virtual node', {
      pod: name,
      job: pod.metadata?.labels?.[LABEL.jobId],
      node: target,
      waitedMs,
    });
  }
  return bound;
}

/** Passes until `signal` aborts (or at once when the binder is off). Never throws: a failed pass is logged. */
export async function runStalledPodBinder(deps: BinderDeps, signal: AbortSignal): Promise<void> {
  if (deps.stallSeconds <= 0) return;
  while (!signal.aborted) {
    await sleep(PASS_MS, undefined, { signal }).catch(() => undefined);
    if (signal.aborted) break;
    await bindStalledPods(deps).catch((err: unknown) =>
      deps.log.debug('stalled pod check failed; next pass retries', { err: (err as Error).message }),
    );
  }
}
