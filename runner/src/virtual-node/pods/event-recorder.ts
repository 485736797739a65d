/**
 * Writes core/v1 Events about pods (Scheduled-style lifecycle: Pulling, Pulled, Created, Started, Failed, Killing),
 * as the kubelet does, so `kubectl describe pod` tells users what happened. Fire-and-forget: a failed event write is
 * logged, never fatal.
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

export class EventRecorder {
  constructor(
    private readonly kube: KubeClients,
    private readonly nodeName: string,
    private readonly log: Logger,
  ) {}

  record(ref: PodRef, event: PodEvent): void {
    const now = new Date();
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
      );
  }
}
