/**
 * Writes core/v1 Events about pods (Scheduled-style lifecycle: Pulling, Pulled, Created, Started, Failed, Killing),
 * as the kubelet does, so `kubectl describe pod` tells users what happened. Fire-and-forget: a failed event write is
 * logged, never fatal.
 *
 * Paced like the kubelet's: at most `qps` event writes a second after a burst of `burst` (KubeletConfiguration
 * `eventRecordQPS`, default 50, and `eventBurst`, default 100). A node starting hundreds of pods at once copies ~10
 * ECI events per pod; written all at once they crowded out the pod status writes on the same API server. Events
 * wait in one bounded queue (one timer for the node, none per pod) and keep the time they happened; when the queue
 * is full, new events are dropped and counted, as the kubelet's recorder drops events it cannot queue.
 */
import { randomBytes } from 'node:crypto';
import type { KubeClients } from '../../kube/client.js';
import type { Logger } from '../../observability/logger.js';
import type { PodRef } from '../backends/backend.js';

export interface PodEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  container?: string;
}

export interface EventRecorderLimits {
  /** Event writes per second (default 50, the kubelet's eventRecordQPS). */
  qps: number;
  /** Writes at once before the rate applies (default 100, the kubelet's eventBurst). */
  burst: number;
  /** Events waiting beyond which new ones are dropped (default 1000). */
  maxQueued: number;
}

export const KUBELET_EVENT_LIMITS: EventRecorderLimits = { qps: 50, burst: 100, maxQueued: 1000 };

/** How long a pod's deletion waits for its pod's events to be written (`settled`). */
export const EVENTS_SETTLE_MS = 5_000;

interface Queued {
  ref: PodRef;
  event: PodEvent;
  at: Date;
}

export class EventRecorder {
  private readonly queue: Queued[] = [];
  private tokens: number;
  private last = performance.now();
  private timer: NodeJS.Timeout | undefined;
  /** Per pod uid: its events queued or being written, and who waits for them to be written. */
  private readonly unwritten = new Map<string, { count: number; waiters: (() => void)[] }>();
  /** Events dropped because the queue was full. */
  dropped = 0;

  constructor(
    private readonly kube: KubeClients,
    private readonly nodeName: string,
    private readonly log: Logger,
    private readonly limits: EventRecorderLimits = KUBELET_EVENT_LIMITS,
  ) {
    this.tokens = limits.burst;
  }

  /** Events waiting for their write. */
  get queued(): number {
    return this.queue.length;
  }

  record(ref: PodRef, event: PodEvent): void {
    if (this.queue.length >= this.limits.maxQueued) {
      if (this.dropped++ % 100 === 0)
        this.log.warn('too many pod events at once; dropping some', { dropped: this.dropped, reason: event.reason });
      return;
    }
    this.queue.push({ ref, event, at: new Date() });
    const u = this.unwritten.get(ref.uid);
    if (u) u.count++;
    else this.unwritten.set(ref.uid, { count: 1, waiters: [] });
    this.drain();
  }

  /**
   * Resolves once every event recorded so far for pod `uid` is written (or failed), or after `withinMs`: a pod's
   * deletion waits for it, so whoever reads a deleted pod's events finds the last ones too.
   */
  settled(uid: string, withinMs = EVENTS_SETTLE_MS): Promise<void> {
    const u = this.unwritten.get(uid);
    if (!u) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, withinMs);
      timer.unref();
      u.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Stops the pacing timer (events still queued are not written, and nobody waits for them). */
  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const q of this.queue.splice(0)) this.written(q.ref.uid);
  }

  private written(uid: string): void {
    const u = this.unwritten.get(uid);
    if (!u || --u.count > 0) return;
    this.unwritten.delete(uid);
    for (const w of u.waiters) w();
  }

  private drain(): void {
    const t = performance.now();
    this.tokens = Math.min(this.limits.burst, this.tokens + ((t - this.last) / 1000) * this.limits.qps);
    this.last = t;
    while (this.queue.length && this.tokens >= 1) {
      this.tokens -= 1;
      const q = this.queue.shift()!;
      this.write(q.ref, q.event, q.at);
    }
    if (this.queue.length && !this.timer) {
      this.timer = setTimeout(
        () => {
          this.timer = undefined;
          this.drain();
        },
        Math.max(1, Math.ceil(((1 - this.tokens) / this.limits.qps) * 1000)),
      );
      this.timer.unref();
    }
  }

  private write(ref: PodRef, event: PodEvent, now: Date): void {
    this.kube.core
      .createNamespacedEvent({
        namespace: ref.namespace,
        body: {
          metadata: {
            name: `${ref.name}.${now.getTime().toString(16)}${randomBytes(2).toString('hex')}`,
            namespace: ref.namespace,
          },
          involvedObject: {
            apiVersion: 'v1',
            kind: 'Pod',
            namespace: ref.namespace,
            name: ref.name,
            uid: ref.uid,
            ...(event.container ? { fieldPath: `spec.containers{${event.container}}` } : {}),
          },
          type: event.type,
          reason: event.reason,
          message: event.message,
          source: { component: 'kubelet', host: this.nodeName },
          reportingComponent: 'eci-virtual',
          reportingInstance: this.nodeName,
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      })
      .catch((err: unknown) =>
        this.log.warn('event write failed', { pod: `${ref.namespace}/${ref.name}`, reason: event.reason, err }),
      )
      .finally(() => this.written(ref.uid));
  }
}
