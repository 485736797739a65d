/**
 * Keeps the node's Lease in kube-node-lease fresh (40 s duration, renewed every `renewSeconds`), which is what the
 * node lifecycle controller reads as the heartbeat. The lease is owned by the Node, so deleting the node removes it.
 */
import type { V1Node } from '@kubernetes/client-node';
import { setTimeout as sleep } from 'node:timers/promises';
import { apiStatus, type KubeClients } from '../../kube/client.js';
import { mergePatch, microTime } from '../../kube/patch.js';
import type { Logger } from '../../observability/logger.js';

export const LEASE_NAMESPACE = 'kube-node-lease';
export const LEASE_DURATION_SECONDS = 40;

export class NodeLease {
  constructor(
    private readonly kube: KubeClients,
    private readonly node: () => V1Node | undefined,
    private readonly nodeName: string,
    private readonly renewSeconds: number,
    private readonly log: Logger,
  ) {}

  /** Renews once; creates the lease when missing. */
  async renew(now = new Date()): Promise<void> {
    const patch = {
      spec: { holderIdentity: this.nodeName, leaseDurationSeconds: LEASE_DURATION_SECONDS, renewTime: microTime(now) },
    };
    try {
      await this.kube.coordination.patchNamespacedLease(
        { name: this.nodeName, namespace: LEASE_NAMESPACE, body: patch },
        mergePatch,
      );
    } catch (err) {
      if (apiStatus(err) !== 404) throw err;
      const owner = this.node();
      await this.kube.coordination.createNamespacedLease({
        namespace: LEASE_NAMESPACE,
        body: {
          metadata: {
            name: this.nodeName,
            ownerReferences: owner?.metadata?.uid
              ? [{ apiVersion: 'v1', kind: 'Node', name: this.nodeName, uid: owner.metadata.uid }]
              : [],
          },
          spec: { holderIdentity: this.nodeName, leaseDurationSeconds: LEASE_DURATION_SECONDS },
        },
      });
      await this.kube.coordination.patchNamespacedLease(
        { name: this.nodeName, namespace: LEASE_NAMESPACE, body: patch },
        mergePatch,
      );
    }
  }

  /** Renews until `signal` aborts; failures are logged and retried sooner (a missed lease marks the node NotReady). */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      let delay = this.renewSeconds * 1000;
      try {
        await this.renew();
      } catch (err) {
        this.log.warn('lease renewal failed', { err, lease: `${LEASE_NAMESPACE}/${this.nodeName}` });
        delay = Math.min(delay, 2_000);
      }
      await sleep(delay, undefined, { signal }).catch(() => undefined);
    }
  }
}
