/**
 * The node's pod loop: watches pods bound to this node, creates them in the backend, writes their status back as the
 * backend reports changes (push, with a periodic resync as the safety net), and carries out deletions. Restarts lose
 * nothing: on start, backend pods are matched with API pods by uid — matches are adopted, strays removed.
 */
import { ListWatch, type V1Pod, type V1PodStatus } from '@kubernetes/client-node';
import pLimit from 'p-limit';
import { setTimeout as sleep } from 'node:timers/promises';
import { describeError, EciVirtualError, InvalidInput } from '@eci-virtual/contract';
import { apiStatus, type KubeClients } from '../../kube/client.js';
import { mergePatch } from '../../kube/patch.js';
import { retryTransient } from '../../kube/retrying.js';
import type { Logger } from '../../observability/logger.js';
import type { Metrics } from '../../observability/metrics.js';
import { podKey, type Backend, type BackendPodStatus, type PodRef } from '../backends/backend.js';
import type { VirtualNodeConfig } from '../config.js';
import type { EventRecorder } from './event-recorder.js';
import type { PodInputSource } from './input-source.js';
import { MissingPodInput, podRef, preparePod } from './pod-inputs.js';
import { buildPodStatus, statusFingerprint, waitingContainers } from './pod-status.js';
import { slimList, slimPod, slimWatch } from './slim-pod.js';

type Stage = 'new' | 'creating' | 'running' | 'failed' | 'deleting';

interface Tracked {
  ref: PodRef;
  pod: V1Pod;
  stage: Stage;
  abort: AbortController;
  syncing: boolean;
  syncAgain: boolean;
  /** When the oldest unserved change notification arrived (for the status-lag metric). */
  changedAt: number | undefined;
  fingerprint: string | undefined;
}

const TERMINAL = new Set(['Succeeded', 'Failed']);
const MAX_CREATE_ATTEMPTS = 5;
/**
 * A pod waiting for a mandatory ConfigMap/Secret is tried again after 1, 2, 4, 8 s, then every 10 s, for as long as
 * it exists: the kubelet waits indefinitely too, and 10 s keeps a forgotten pod to one API read per reference.
 */
const MISSING_INPUT_RETRY_MS = { first: 1_000, max: 10_000 };

export interface PodControllerDeps {
  kube: KubeClients;
  backend: Backend;
  config: VirtualNodeConfig;
  inputs: PodInputSource;
  events: EventRecorder;
  log: Logger;
  metrics?: Metrics;
}

export class PodController {
  private readonly tracked = new Map<string, Tracked>();
  private readonly createLimit = pLimit(16);
  private readonly fieldSelector: string;

  constructor(private readonly deps: PodControllerDeps) {
    this.fieldSelector = `spec.nodeName=${deps.config.nodeName}`;
  }

  /** Pods this node currently runs (the kubelet's /pods). */
  pods(): V1Pod[] {
    return [...this.tracked.values()].map((t) => t.pod);
  }

  /**
   * The kubelet's /runningpods/: pods in phase Running whose deletion has not begun. A pod being deleted is not
   * offered as running any more, as with virtual-kubelet (its /runningpods/ lists the provider's pods, and the
   * provider is asked to delete a pod as soon as the deletion is seen): here the backend's stop-and-remove of a
   * graceful delete can take seconds on a busy engine, and callers asking for running pods must not see it meanwhile.
   */
  runningPods(): V1Pod[] {
    return [...this.tracked.values()]
      .filter((t) => t.stage !== 'deleting' && !t.pod.metadata?.deletionTimestamp && t.pod.status?.phase === 'Running')
      .map((t) => t.pod);
  }

  find(namespace: string, name: string): PodRef | undefined {
    for (const t of this.tracked.values()) if (t.ref.namespace === namespace && t.ref.name === name) return t.ref;
    return undefined;
  }

  phaseCounts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const t of this.tracked.values()) {
      const phase = t.pod.status?.phase ?? 'Pending';
      counts[phase] = (counts[phase] ?? 0) + 1;
    }
    return counts;
  }

  async run(signal: AbortSignal): Promise<void> {
    const { backend, log } = this.deps;
    backend.onChange((ref) => this.requestSync(ref.uid));
    backend.onEvent((e) => this.deps.events.record(e.ref, e));
    await this.reconcile();
    const informer = new ListWatch<V1Pod>(
      '/api/v1/pods',
      slimWatch(this.deps.kube.watch),
      slimList(() => this.deps.kube.core.listPodForAllNamespaces({ fieldSelector: this.fieldSelector })),
      false,
      undefined,
      this.fieldSelector,
    );
    informer.on('add', (pod) => this.onPod(pod));
    informer.on('update', (pod) => this.onPod(pod));
    informer.on('delete', (pod) => this.onPodGone(pod));
    informer.on('error', (err) => {
      if (signal.aborted) return;
      log.warn('pod watch failed; restarting', { err });
      void sleep(1_000).then(() => {
        if (!signal.aborted) informer.start().catch(() => undefined);
      });
    });
    await informer.start();
    const resync = this.resyncLoop(signal);
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    await informer.stop();
    await resync;
  }

  /** Adopts backend pods that still exist in the API and removes the ones that don't. */
  private async reconcile(): Promise<void> {
    const { backend, kube, log } = this.deps;
    const [apiPods, backendPods] = await Promise.all([
      kube.core.listPodForAllNamespaces({ fieldSelector: this.fieldSelector }),
      backend.listPods(),
    ]);
    const byUid = new Map(apiPods.items.map((p) => [p.metadata?.uid, slimPod(p)]));
    for (const ref of backendPods) {
      const pod = byUid.get(ref.uid);
      if (!pod) {
        log.info('removing backend pod that no longer exists in the API', { pod: podKey(ref), uid: ref.uid });
        await backend
          .deletePod(ref, 0)
          .catch((err: unknown) => log.warn('stray pod removal failed', { pod: podKey(ref), err }));
        continue;
      }
      const resumed = await this.resume(ref, pod);
      if (resumed === 'incomplete') {
        // The previous process died while creating it: nothing of it ran, so it is created again from the start.
        log.info('recreating a pod the previous node process left half-created', { pod: podKey(ref) });
        await backend
          .deletePod(ref, 0)
          .catch((err: unknown) => log.warn('half-created pod removal failed', { pod: podKey(ref), err }));
        continue; // the informer's first list offers the pod as new
      }
      this.tracked.set(ref.uid, this.entry(pod, 'running'));
      log.info('adopted running pod', { pod: podKey(ref) });
      this.requestSync(ref.uid);
    }
  }

  /**
   * Carries on the start of an adopted pod (init containers not yet run, app containers never started: the node
   * was killed in between) — without it such a pod stays Pending for good.
   */
  private async resume(ref: PodRef, pod: V1Pod): Promise<'resumed' | 'incomplete'> {
    const { backend, log } = this.deps;
    if (!backend.resumePod || TERMINAL.has(pod.status?.phase ?? '') || pod.metadata?.deletionTimestamp)
      return 'resumed';
    return backend
      .resumePod(ref, {
        initContainers: (pod.spec?.initContainers ?? []).map((c) => c.name),
        containers: (pod.spec?.containers ?? []).map((c) => c.name),
        restartPolicy: pod.spec?.restartPolicy ?? 'Always',
      })
      .catch((err: unknown) => {
        log.warn('could not resume an adopted pod', { pod: podKey(ref), err: describeError(err) });
        return 'resumed' as const;
      });
  }

  private entry(pod: V1Pod, stage: Stage): Tracked {
    return {
      ref: podRef(pod),
      pod,
      stage,
      abort: new AbortController(),
      syncing: false,
      syncAgain: false,
      changedAt: undefined,
      fingerprint: undefined,
    };
  }

  private onPod(pod: V1Pod): void {
    const uid = pod.metadata?.uid;
    if (!uid) return;
    let t = this.tracked.get(uid);
    if (!t) {
      t = this.entry(pod, 'new');
      this.tracked.set(uid, t);
    }
    t.pod = pod;
    if (pod.metadata?.deletionTimestamp) {
      void this.delete(t);
      return;
    }
    if (t.stage === 'new') {
      if (TERMINAL.has(pod.status?.phase ?? '')) {
        t.stage = 'failed'; // finished while we were away and its containers are gone: nothing to run again
        return;
      }
      void this.create(t);
    }
  }

  /** The object left the API (force delete or our own final delete): make sure the backend is clean too. */
  private onPodGone(pod: V1Pod): void {
    const uid = pod.metadata?.uid;
    const t = uid ? this.tracked.get(uid) : undefined;
    if (!t) return;
    this.tracked.delete(t.ref.uid);
    t.abort.abort();
    if (t.stage !== 'deleting') {
      void this.deps.backend
        .deletePod(t.ref, 0)
        .catch((err: unknown) => this.deps.log.warn('backend delete failed', { pod: podKey(t.ref), err }));
    }
  }

  private async create(t: Tracked): Promise<void> {
    const { backend, config, inputs, log, events } = this.deps;
    t.stage = 'creating';
    const seenAt = Date.now();
    const plog = log.child({ pod: podKey(t.ref), uid: t.ref.uid, node: config.nodeName });
    await this.post(t, buildPodStatus(t.pod, waitingContainers(t.pod), config.address)).catch(() => undefined);
    // Events are written once per distinct problem, not once per retry.
    const reported = new Set<string>();
    const report = (type: 'Normal' | 'Warning', reason: string, message: string) => {
      const key = `${reason}\0${message}`;
      if (reported.has(key)) return;
      reported.add(key);
      events.record(t.ref, { type, reason, message });
    };
    let waits = 0;
    for (let attempt = 1; ; attempt++) {
      try {
        const prepared = await preparePod(t.pod, inputs, {
          nodeName: config.nodeName,
          hostIP: config.address,
          ...(config.apiServerForPods ? { apiServer: config.apiServerForPods } : {}),
          nfsVolumes: backend.nfsVolumes === true,
          backendName: backend.name,
          notice: (n) => report('Warning', n.reason, n.message),
        });
        await this.createLimit(() => backend.createPod(prepared, t.abort.signal));
        if (t.abort.signal.aborted) return;
        t.stage = 'running';
        // Where a slow start went: the API object's age when this node first saw it (binding, watch), then the backend.
        const created = Date.parse(String(t.pod.metadata?.creationTimestamp ?? ''));
        plog.info('pod created in backend', {
          attempt,
          ms: {
            seen: Number.isFinite(created) ? Math.max(0, seenAt - created) : undefined,
            create: Date.now() - seenAt,
          },
        });
        this.requestSync(t.ref.uid);
        return;
      } catch (err) {
        if (t.abort.signal.aborted) return;
        if (err instanceof MissingPodInput) {
          // As the kubelet: Pending with CreateContainerConfigError until the object exists, then start.
          attempt = 0;
          report('Warning', err.reason, err.message);
          const waiting = waitingContainers(t.pod, err.waitingReason, err.message);
          await this.post(t, buildPodStatus(t.pod, waiting, config.address)).catch(() => undefined);
          const delay = Math.min(MISSING_INPUT_RETRY_MS.first * 2 ** waits++, MISSING_INPUT_RETRY_MS.max);
          if (waits === 1) plog.info('pod waits for a missing input', { reason: err.reason, err: err.message });
          await sleep(delay, undefined, { signal: t.abort.signal }).catch(() => undefined);
          if (t.abort.signal.aborted) return;
          continue;
        }
        const permanent = err instanceof InvalidInput || attempt >= MAX_CREATE_ATTEMPTS;
        plog.warn('pod creation failed', { attempt, permanent, err: describeError(err) });
        if (permanent) {
          await this.fail(t, err);
          return;
        }
        events.record(t.ref, { type: 'Warning', reason: 'FailedCreate', message: `${describeError(err)} (retrying)` });
        await sleep(Math.min(1_000 * 2 ** attempt, 15_000), undefined, { signal: t.abort.signal }).catch(
          () => undefined,
        );
        if (t.abort.signal.aborted) return;
      }
    }
  }

  /** A pod the backend refused or could not start: Failed, with the real reason in status and an event. */
  private async fail(t: Tracked, err: unknown): Promise<void> {
    t.stage = 'failed';
    const reason =
      (err as { reason?: string }).reason ?? (err instanceof EciVirtualError ? err.code : 'ProviderFailed');
    const message = describeError(err);
    this.deps.events.record(t.ref, { type: 'Warning', reason: 'Failed', message });
    // A half-created pod must not linger in the backend.
    await this.deps.backend.deletePod(t.ref, 0).catch(() => undefined);
    // A pull failure names its image: the containers of that image carry it, not whichever container comes first.
    const image = (err as { image?: string }).image;
    const status: BackendPodStatus = {
      ...waitingContainers(t.pod, reason, message, image),
      phase: 'Failed',
      reason,
      message,
    };
    await this.post(t, buildPodStatus(t.pod, status, this.deps.config.address)).catch((e: unknown) =>
      this.deps.log.warn('status write failed', { pod: podKey(t.ref), err: e }),
    );
  }

  private async delete(t: Tracked): Promise<void> {
    if (t.stage === 'deleting') return;
    const { backend, kube, log, events } = this.deps;
    const wasRunning = t.stage === 'running' || t.stage === 'creating';
    t.stage = 'deleting';
    t.abort.abort();
    const grace = t.pod.metadata?.deletionGracePeriodSeconds ?? t.pod.spec?.terminationGracePeriodSeconds ?? 30;
    if (wasRunning)
      events.record(t.ref, { type: 'Normal', reason: 'Killing', message: `Stopping pod (grace period ${grace} s)` });
    for (let attempt = 1; attempt <= 5; attempt++) {
      try {
        await backend.deletePod(t.ref, grace);
        break;
      } catch (err) {
        log.warn('backend delete failed', { pod: podKey(t.ref), attempt, err: describeError(err) });
        await sleep(1_000 * attempt);
      }
    }
    // The pod's last events (the backend may have just copied them) are written before the pod goes: the controller
    // reads a deleted pod's events into its job's record.
    await events.settled(t.ref.uid);
    // The final delete carries a uid precondition so a new pod with the same name is never removed by mistake. It
    // rides out an API server restart: given up, the pod would stay Terminating for good (the informer does not
    // tell us about it again).
    await retryTransient(
      () =>
        kube.core.deleteNamespacedPod({
          name: t.ref.name,
          namespace: t.ref.namespace,
          gracePeriodSeconds: 0,
          body: { gracePeriodSeconds: 0, preconditions: { uid: t.ref.uid } },
        }),
      { withinMs: 300_000, refusedWithinMs: 30_000 },
    ).catch((err: unknown) => {
      if (apiStatus(err) !== 404 && apiStatus(err) !== 409)
        log.warn('final pod delete failed', { pod: podKey(t.ref), err });
    });
    this.tracked.delete(t.ref.uid);
  }

  /** Coalescing status sync: at most one in flight per pod, and one more queued if changes arrive meanwhile. */
  requestSync(uid: string): void {
    const t = this.tracked.get(uid);
    if (!t) return;
    t.changedAt ??= Date.now();
    if (t.syncing) {
      t.syncAgain = true;
      return;
    }
    t.syncing = true;
    void (async () => {
      do {
        t.syncAgain = false;
        await this.syncStatus(t).catch((err: unknown) =>
          this.deps.log.warn('status sync failed', { pod: podKey(t.ref), err: describeError(err) }),
        );
      } while (t.syncAgain && this.tracked.has(uid));
      t.syncing = false;
    })();
  }

  private async syncStatus(t: Tracked): Promise<void> {
    if (t.stage !== 'running') return;
    const changedAt = t.changedAt;
    t.changedAt = undefined;
    const s = await this.deps.backend.getPodStatus(t.ref);
    if (t.stage !== 'running') return;
    if (!s) {
      await this.fail(
        t,
        Object.assign(new Error('the pod disappeared from the backend'), { reason: 'ProviderPodMissing' }),
      );
      return;
    }
    await this.post(t, buildPodStatus(t.pod, s, this.deps.config.address));
    if (changedAt !== undefined) this.deps.metrics?.podStatusLagSeconds.observe((Date.now() - changedAt) / 1000);
  }

  private async post(t: Tracked, status: V1PodStatus): Promise<void> {
    const fingerprint = statusFingerprint(status);
    if (fingerprint === t.fingerprint) return;
    const updated = await this.deps.kube.core.patchNamespacedPodStatus(
      { name: t.ref.name, namespace: t.ref.namespace, body: { status } },
      mergePatch,
    );
    t.fingerprint = fingerprint;
    if (updated.metadata?.uid === t.ref.uid) t.pod = slimPod(updated);
  }

  private async resyncLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await sleep(this.deps.config.podResyncSeconds * 1000, undefined, { signal }).catch(() => undefined);
      for (const uid of this.tracked.keys()) this.requestSync(uid);
    }
  }
}
