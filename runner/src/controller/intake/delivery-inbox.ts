/**
 * Webhook deliveries handed from whichever controller replica received them to the leading one, through Kubernetes:
 * one ConfigMap per delivery in the jobs namespace, named after its `X-GitHub-Delivery`, so
 *
 *   - a delivery is durable before GitHub gets its 2xx: a follower's, or a leader's that dies right after answering,
 *     is picked up by the (next) leader from the API server, never from a process's memory;
 *   - a redelivery is dropped by every replica alike: creating the same name again is 409 AlreadyExists;
 *   - the leader marks a delivery `done` (label `LABEL.deliveryState`) once handled, dropping the payload; done
 *     deliveries stay `deliveryTtlMinutes` so redeliveries keep being recognised, then the leader deletes them.
 *
 * A delivery carries the parsed job only (a few hundred bytes; the payload holds no secret).
 */
import { createHash } from 'node:crypto';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { COMPONENT, LABEL, MANAGED_BY } from '@eci-virtual/contract';
import { apiStatus, type KubeClients } from '../../kube/client.js';
import { mergePatch } from '../../kube/patch.js';
import type { Logger } from '../../observability/logger.js';
import type { WorkflowJob } from '../github/workflow-job.js';

/** A `workflow_job` delivery the controller acts on. */
export interface AcceptedDelivery {
  /** `X-GitHub-Delivery` (or a hash of the body when a sender leaves it out). */
  id: string;
  action: 'queued' | 'completed';
  job: WorkflowJob;
}

/** A delivery as stored: who took it, when, and the name of its object. */
export interface StoredDelivery extends AcceptedDelivery {
  name: string;
  receivedAt: string;
  receivedBy: string;
}

const DATA_KEY = 'delivery.json';
export const PENDING_SELECTOR = `${LABEL.component}=${COMPONENT.webhookDelivery},${LABEL.deliveryState}=pending`;
const DONE_SELECTOR = `${LABEL.component}=${COMPONENT.webhookDelivery},${LABEL.deliveryState}=done`;

/** The object name of a delivery id: the id itself when it is a GitHub GUID, else a hash of it. */
export function deliveryObjectName(id: string): string {
  const safe = /^[0-9a-f][0-9a-f-]{0,62}$/i.test(id)
    ? id.toLowerCase()
    : createHash('sha256').update(id).digest('hex').slice(0, 40);
  return `eci-delivery-${safe}`;
}

/** A stored delivery from its ConfigMap; undefined when it holds no (valid) payload any more. */
export function storedDelivery(cm: V1ConfigMap): StoredDelivery | undefined {
  const text = cm.data?.[DATA_KEY];
  if (!text || !cm.metadata?.name) return undefined;
  try {
    const d = JSON.parse(text) as Omit<StoredDelivery, 'name'>;
    if ((d.action !== 'queued' && d.action !== 'completed') || typeof d.job?.id !== 'number') return undefined;
    return { ...d, name: cm.metadata.name };
  } catch {
    return undefined;
  }
}

export class DeliveryInbox {
  constructor(
    private readonly kube: KubeClients,
    private readonly namespace: string,
    /** This replica's identity, recorded on what it accepts (for logs and forensics). */
    private readonly replica: string,
    private readonly log: Logger,
  ) {}

  /** Stores a delivery; `duplicate` when any replica stored the same delivery id before. Errors propagate. */
  async accept(d: AcceptedDelivery): Promise<{ outcome: 'accepted' | 'duplicate'; stored?: StoredDelivery }> {
    const name = deliveryObjectName(d.id);
    const stored: StoredDelivery = { ...d, name, receivedAt: new Date().toISOString(), receivedBy: this.replica };
    const { name: _name, ...data } = stored;
    const body: V1ConfigMap = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name,
        namespace: this.namespace,
        labels: {
          [LABEL.managedBy]: MANAGED_BY,
          [LABEL.component]: COMPONENT.webhookDelivery,
          [LABEL.deliveryState]: 'pending',
          [LABEL.jobId]: String(d.job.id),
        },
      },
      data: { [DATA_KEY]: JSON.stringify(data) },
    };
    try {
      await this.kube.core.createNamespacedConfigMap({ namespace: this.namespace, body });
      return { outcome: 'accepted', stored };
    } catch (err) {
      if (apiStatus(err) === 409) return { outcome: 'duplicate' };
      throw err;
    }
  }

  /** Marks a delivery handled and drops its payload (the name stays, to recognise redeliveries). */
  async settle(name: string): Promise<void> {
    try {
      await this.kube.core.patchNamespacedConfigMap(
        {
          name,
          namespace: this.namespace,
          body: { metadata: { labels: { [LABEL.deliveryState]: 'done' } }, data: null },
        },
        mergePatch,
      );
    } catch (err) {
      if (apiStatus(err) !== 404) throw err;
    }
  }

  /** Deletes handled deliveries older than `ttlMs`; returns how many. Errors propagate (the next round retries). */
  async prune(ttlMs: number, now = Date.now()): Promise<number> {
    const res = await this.kube.core.listNamespacedConfigMap({
      namespace: this.namespace,
      labelSelector: DONE_SELECTOR,
    });
    let n = 0;
    for (const cm of res.items) {
      const created = new Date(cm.metadata?.creationTimestamp ?? now).getTime();
      if (now - created < ttlMs) continue;
      try {
        await this.kube.core.deleteNamespacedConfigMap({ name: cm.metadata!.name!, namespace: this.namespace });
        n++;
      } catch (err) {
        if (apiStatus(err) !== 404)
          this.log.warn('could not delete a handled webhook delivery', {
            delivery: cm.metadata?.name,
            err: (err as Error).message,
          });
      }
    }
    return n;
  }
}
