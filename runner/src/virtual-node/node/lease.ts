/**
 * Keeps the node's Lease in kube-node-lease fresh (40 s duration, renewed every `renewSeconds`), which is what the
 * node lifecycle controller reads as the heartbeat. The lease is owned by the Node, so deleting the node removes it.
 */
import type { V1Node } from '@kubernetes/client-node';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeClients } from '../../kube/client.js';
import { microTime, serverSideApply } from '../../kube/patch.js';
import type { Logger } from '../../observability/logger.js';

export const LEASE_NAMESPACE = 'kube-node-lease';
export const LEASE_DURATION_SECONDS = 40;
const FIELD_MANAGER = 'eci-virtual-node';

export class NodeLease {
  constructor(
    private readonly kube: KubeClients,
    private readonly node: () => V1Node | undefined,
    private readonly nodeName: string,
    private readonly renewSeconds: number,
    private readonly log: Logger,
  ) {}

  /**
   * Renews once, creating the lease when missing. One server-side apply of the whole object: a lease is never seen
   * without `renewTime` (a create followed by a patch left a window in which readers found it empty).
   */
  async renew(now = new Date()): Promise<void> {
    const owner = this.node()?.metadata?.uid;
    await this.kube.coordination.patchNamespacedLease(
      {
        name: this.nodeName,
        namespace: LEASE_NAMESPACE,
        fieldManager: FIELD_MANAGER,
        force: true,
        body: {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: {
            name: this.nodeName,
            namespace: LEASE_NAMESPACE,
            ...(owner
              ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: this.nodeName, uid: owner }] }
              : {}),
          },
          spec: {
            holderIdentity: this.nodeName,
            leaseDurationSeconds: LEASE_DURATION_SECONDS,
            renewTime: microTime(now),
          },
        },
      },
      serverSideApply,
    );
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
