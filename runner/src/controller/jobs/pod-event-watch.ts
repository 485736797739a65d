/**
 * The job pods' Kubernetes Events, followed with ONE watch on the jobs namespace instead of a LIST per pod.
 *
 * Why: the API server answers a LIST of events with a field selector (`involvedObject.name=…`) by testing every event
 * of the namespace. Measured on the test control plane with 8,000 events in the namespace (what a 1,000-job burst
 * leaves): 70–90 ms of API server CPU per call, with or without `limit` or `resourceVersion=0`, and it grows with the
 * events, which live an hour (a fleet running 20 jobs a second holds ~500,000). The controller reads every job pod's
 * events before cleanup (job records: image-cache use, spot reclaims, the portal's timeline), so at fleet scale those
 * reads alone would take the API server's cores. A watch costs the API server one selector test per new event.
 *
 * What it keeps: per pod (name and uid), up to MAX_EVENTS events as job-record events, for at most MAX_PODS pods
 * (oldest forgotten first); `forget` drops a pod once the controller is done with it (its pod deleted). It answers
 * for a pod only when it has seen all of that pod's events: the pod was created after the watch's current unbroken
 * run began. Otherwise (a term just started, the watch lost its place, the pod was forgotten) `eventsOf` returns
 * undefined and the caller reads the events with a LIST, as before (pod-events.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Watch, type CoreV1Event } from '@kubernetes/client-node';
import type { JobEvent } from '@eci-virtual/contract';
import type { KubeClients } from '../../kube/client.js';
import type { Logger } from '../../observability/logger.js';
import { MAX_EVENTS, byTime, toJobEvents } from './pod-events.js';

/** Pods whose events are kept at once (well above any controller's concurrent jobs). */
export const MAX_PODS = 5_000;
/** Forgotten pods remembered, so that a late event does not make a forgotten pod look complete again. */
const FORGOTTEN = 10_000;
/**
 * A pod created this soon after the watch's run began may have events from before it (creation times are whole
 * seconds of the API server's clock, the run's start is this process's): its events are LISTed.
 */
export const START_MARGIN_MS = 5_000;
/** The API server ends a watch after this long; it is resumed from the last resourceVersion seen. */
const WATCH_SECONDS = 300;

export interface PodRefForEvents {
  name: string;
  uid?: string;
  /** The pod's creationTimestamp (ISO); without it the watch does not answer for the pod. */
  createdAt?: string;
}

const keyOf = (name: string, uid?: string) => `${name}/${uid ?? ''}`;

export class PodEventWatch {
  private readonly pods = new Map<string, Map<string, JobEvent>>();
  private readonly forgotten = new Set<string>();
  /** When the watch's current unbroken run began (ms since the epoch); undefined while it is not running. */
  private since: number | undefined;

  constructor(
    private readonly deps: {
      kube: KubeClients;
      namespace: string;
      log: Logger;
      /** After a failure, wait this long before starting again (default 2 s). */
      retryMs?: number;
    },
  ) {}

  /** Whether the watch is running (pods created from now on are answered from it). */
  get running(): boolean {
    return this.since !== undefined;
  }

  /** The pod's events, oldest first, or undefined when the watch cannot vouch it saw them all (LIST them). */
  eventsOf(pod: PodRefForEvents): JobEvent[] | undefined {
    if (this.since === undefined || !pod.createdAt) return undefined;
    const created = Date.parse(pod.createdAt);
    if (!Number.isFinite(created) || created < this.since + START_MARGIN_MS) return undefined;
    const key = keyOf(pod.name, pod.uid);
    if (this.forgotten.has(key)) return undefined;
    return [...(this.pods.get(key)?.values() ?? [])].sort(byTime);
  }

  /** The controller is done with the pod: its events are dropped (asked again, they are LISTed). */
  forget(pod: { name: string; uid?: string }): void {
    this.drop(keyOf(pod.name, pod.uid));
  }

  /** Follows the namespace's pod events until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const { kube, namespace, log } = this.deps;
    let version: string | undefined;
    let failures = 0;
    while (!signal.aborted) {
      let problem: string | undefined;
      try {
        if (version === undefined) {
          // A new run starts at the current resourceVersion (a one-item LIST); it vouches for pods created after the
          // answer came back.
          const list = await kube.core.listNamespacedEvent({ namespace, limit: 1 });
          version = list.metadata?.resourceVersion;
          if (!version) throw new Error('the event list carried no resourceVersion');
          this.since = Date.now();
        }
        const end = await this.follow(version, signal);
        if (end.broken) problem = end.reason ?? 'the watch broke off';
        else {
          version = end.version;
          failures = 0;
        }
      } catch (err) {
        problem = (err as Error).message;
      }
      if (problem === undefined || signal.aborted) continue;
      this.since = undefined;
      version = undefined;
      failures++;
      // A watch that lost its place once (410 Gone after a long pause) is routine; one that keeps failing (e.g. no
      // `watch` on events granted) is worth a warning, and is retried less and less often: 2 s, 4 s, … a minute.
      log[failures > 1 ? 'warn' : 'info']('pod event watch starts again; until it runs, pod events are LISTed', {
        reason: problem,
        failures,
      });
      const wait = Math.min(60_000, (this.deps.retryMs ?? 2_000) * 2 ** (failures - 1));
      await sleep(wait, undefined, { signal }).catch(() => undefined);
    }
    this.since = undefined;
  }

  /** One watch from `version` until it ends: where to resume, or `broken` when events may have been missed. */
  private follow(version: string, signal: AbortSignal): Promise<{ version: string; broken: boolean; reason?: string }> {
    return new Promise((resolve) => {
      let last = version;
      let failure: string | undefined;
      let watch: AbortController | undefined;
      const stop = () => watch?.abort();
      signal.addEventListener('abort', stop, { once: true });
      const done = (err: unknown) => {
        signal.removeEventListener('abort', stop);
        const reason = failure ?? (err ? (err as Error).message : undefined);
        resolve({ version: last, broken: reason !== undefined, ...(reason ? { reason } : {}) });
      };
      new Watch(this.deps.kube.config)
        .watch(
          `/api/v1/namespaces/${this.deps.namespace}/events`,
          {
            resourceVersion: version,
            allowWatchBookmarks: true,
            fieldSelector: 'involvedObject.kind=Pod',
            timeoutSeconds: WATCH_SECONDS,
          },
          (type: string, obj: CoreV1Event & { code?: number; message?: string }) => {
            if (type === 'ERROR') {
              // 410 Gone (our resourceVersion is too old) or another failure: the place in the stream is lost.
              failure ??= `${obj.code ?? ''} ${obj.message ?? 'watch error'}`.trim();
              watch?.abort();
              return;
            }
            const v = obj.metadata?.resourceVersion;
            if (v) last = v;
            if (type === 'ADDED' || type === 'MODIFIED') this.add(obj);
          },
          done,
        )
        .then((w) => {
          watch = w;
          if (signal.aborted) w.abort();
        }, done);
    });
  }

  private add(e: CoreV1Event): void {
    const o = e.involvedObject;
    if (o?.kind !== 'Pod' || !o.name) return;
    const [event] = toJobEvents([e]);
    if (!event) return;
    const key = keyOf(o.name, o.uid);
    if (this.forgotten.has(key)) return;
    let events = this.pods.get(key);
    if (!events) {
      events = new Map();
      this.pods.set(key, events);
      // The oldest pod goes; asked later, it is LISTed (it is among the forgotten).
      if (this.pods.size > MAX_PODS) this.drop(this.pods.keys().next().value!);
    }
    // Keyed by the Event object: a repeat (count + 1) updates it in place.
    const id = e.metadata?.name ?? `${event.reason}|${event.at}|${event.message}`;
    if (events.has(id) || events.size < MAX_EVENTS) events.set(id, event);
  }

  private drop(key: string): void {
    this.pods.delete(key);
    this.forgotten.add(key);
    if (this.forgotten.size > FORGOTTEN) this.forgotten.delete(this.forgotten.values().next().value!);
  }
}
