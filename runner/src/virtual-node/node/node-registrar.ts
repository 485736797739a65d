/**
 * Registers the Node object and keeps its status current: creates it (or adopts an existing one of the same name,
 * merging our labels and taint over whatever an operator added), posts conditions and capacity periodically, and on
 * shutdown marks it NotReady or deletes it.
 */
import type { V1Node, V1OwnerReference } from '@kubernetes/client-node';
import { InvalidInput } from '@eci-virtual/contract';
import { setTimeout as sleep } from 'node:timers/promises';
import { apiStatus, type KubeClients } from '../../kube/client.js';
import { mergePatch } from '../../kube/patch.js';
import type { Logger } from '../../observability/logger.js';
import type { Backend } from '../backends/backend.js';
import type { VirtualNodeConfig } from '../config.js';
import { buildNode, buildNodeStatus } from './node-object.js';

/** How often the backend's cached images are compared with what the Node shows. */
const IMAGES_CHECK_MS = 5_000;

export class NodeRegistrar {
  private current: V1Node | undefined;
  private readySince = new Date();

  constructor(
    private readonly kube: KubeClients,
    private readonly backend: Backend,
    private readonly config: VirtualNodeConfig,
    private readonly log: Logger,
  ) {}

  get node(): V1Node | undefined {
    return this.current;
  }

  async register(): Promise<V1Node> {
    const capacity = await this.backend.capacity();
    const desired = buildNode(this.config, capacity, this.backend.name);
    const name = this.config.nodeName;
    const ownerReferences = await this.ownerReferences();
    if (ownerReferences) desired.metadata = { ...desired.metadata, ownerReferences };
    try {
      this.current = await this.kube.core.createNode({ body: desired });
      this.log.info('node registered', { node: name });
    } catch (err) {
      if (apiStatus(err) !== 409) throw err;
      this.current = await this.kube.core.patchNode(
        {
          name,
          body: {
            metadata: {
              labels: desired.metadata?.labels,
              annotations: desired.metadata?.annotations,
              ...(ownerReferences ? { ownerReferences } : {}),
            },
            spec: desired.spec,
          },
        },
        mergePatch,
      );
      this.log.info('node adopted', { node: name });
    }
    this.readySince = new Date();
    await this.postStatus(true);
    return this.current;
  }

  /** The configured owner, resolved to its uid (a missing owner is logged and ignored, never fatal). */
  private async ownerReferences(): Promise<V1OwnerReference[] | undefined> {
    const owner = this.config.owner;
    if (!owner) return undefined;
    if (owner.kind !== 'ClusterRole') throw new InvalidInput(`node owner must be a ClusterRole, got ${owner.kind}`);
    const role = await this.kube.rbac.readClusterRole({ name: owner.name }).catch((err: unknown) => {
      this.log.warn('node owner not readable; registering without it', { owner: owner.name, err });
      return undefined;
    });
    if (!role?.metadata?.uid) return undefined;
    return [
      {
        apiVersion: owner.apiVersion,
        kind: owner.kind,
        name: owner.name,
        uid: role.metadata.uid,
        blockOwnerDeletion: false,
      },
    ];
  }

  async postStatus(ready: boolean): Promise<void> {
    const capacity = await this.backend.capacity();
    const images = this.backend.cachedImages?.() ?? [];
    const status = buildNodeStatus(this.config, capacity, ready, new Date(), this.readySince, images);
    this.current = await this.kube.core.patchNodeStatus({ name: this.config.nodeName, body: { status } }, mergePatch);
  }

  /**
   * Re-posts status every `nodeStatusSeconds` until `signal` aborts, and sooner (checked every few seconds) when the
   * backend's cached images change, so the portal sees a new image cache without waiting a full status period.
   */
  async run(signal: AbortSignal): Promise<void> {
    const periodMs = this.config.nodeStatusSeconds * 1000;
    const tickMs = Math.min(periodMs, IMAGES_CHECK_MS);
    let posted = { at: Date.now(), images: this.imagesKey() };
    while (!signal.aborted) {
      await sleep(tickMs, undefined, { signal }).catch(() => undefined);
      if (signal.aborted) break;
      const images = this.imagesKey();
      if (images === posted.images && Date.now() - posted.at < periodMs - tickMs / 2) continue;
      posted = { at: Date.now(), images };
      await this.postStatus(true).catch((err: unknown) => this.log.warn('node status update failed', { err }));
    }
  }

  private imagesKey(): string {
    return JSON.stringify(this.backend.cachedImages?.() ?? []);
  }

  async shutdown(): Promise<void> {
    const name = this.config.nodeName;
    if (this.config.deleteNodeOnShutdown) {
      await this.kube.core.deleteNode({ name }).catch((err: unknown) => this.log.warn('node delete failed', { err }));
      this.log.info('node deleted', { node: name });
      return;
    }
    this.readySince = new Date();
    await this.postStatus(false).catch((err: unknown) => this.log.warn('marking node NotReady failed', { err }));
    this.log.info('node marked NotReady', { node: name });
  }
}
