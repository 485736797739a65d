/**
 * The controller's leader lock: one coordination.k8s.io/v1 Lease, read and written with optimistic concurrency. A
 * write names the `resourceVersion` it read, so of two replicas racing for the lease exactly one wins; the loser gets
 * 409 Conflict (or AlreadyExists on create), which is an answer, not an error: it returns undefined.
 *
 * The times are Kubernetes MicroTime strings (six fractional digits), written as strings: the typed serializer of
 * client-node would turn a Date into three digits, which the API server refuses. The elector treats them as opaque —
 * it never compares them with its own clock (see leader-elector.ts).
 */
import type { V1Lease } from '@kubernetes/client-node';
import { apiStatus, type KubeClients } from '../../kube/client.js';
import { microTime } from '../../kube/patch.js';

/** What the Lease says about leadership (its spec). */
export interface LeaseRecord {
  /** Empty when released. */
  holderIdentity: string;
  leaseDurationSeconds: number;
  acquireTime: string;
  renewTime: string;
  leaseTransitions: number;
}

/** A record as read or written, with the `resourceVersion` the next write must name. */
export interface StoredLease {
  record: LeaseRecord;
  version: string;
}

/** The lock the elector needs; the Lease below, or an in-memory one in tests. */
export interface LeaseLock {
  /** The lease, or undefined when it does not exist. */
  get(): Promise<StoredLease | undefined>;
  /** Creates it; undefined when another replica created it first. */
  create(record: LeaseRecord): Promise<StoredLease | undefined>;
  /** Writes it if it is still at `version`; undefined when someone wrote in between (409). */
  update(record: LeaseRecord, version: string): Promise<StoredLease | undefined>;
  /** `namespace/name`, for logs. */
  describe(): string;
}

export const leaseTime = (ms: number): string => microTime(new Date(ms));

const fromLease = (lease: V1Lease): StoredLease => {
  const spec = lease.spec ?? {};
  const time = (t: unknown) => (t instanceof Date ? t.toISOString() : typeof t === 'string' ? t : '');
  return {
    record: {
      holderIdentity: spec.holderIdentity ?? '',
      leaseDurationSeconds: spec.leaseDurationSeconds ?? 0,
      acquireTime: time(spec.acquireTime),
      renewTime: time(spec.renewTime),
      leaseTransitions: spec.leaseTransitions ?? 0,
    },
    version: lease.metadata?.resourceVersion ?? '',
  };
};

export class KubeLeaseLock implements LeaseLock {
  constructor(
    private readonly kube: KubeClients,
    private readonly namespace: string,
    private readonly name: string,
  ) {}

  describe(): string {
    return `${this.namespace}/${this.name}`;
  }

  async get(): Promise<StoredLease | undefined> {
    try {
      return fromLease(
        await this.kube.coordination.readNamespacedLease({ name: this.name, namespace: this.namespace }),
      );
    } catch (err) {
      if (apiStatus(err) === 404) return undefined;
      throw err;
    }
  }

  async create(record: LeaseRecord): Promise<StoredLease | undefined> {
    try {
      return fromLease(
        await this.kube.coordination.createNamespacedLease({ namespace: this.namespace, body: this.body(record) }),
      );
    } catch (err) {
      if (apiStatus(err) === 409) return undefined;
      throw err;
    }
  }

  async update(record: LeaseRecord, version: string): Promise<StoredLease | undefined> {
    try {
      return fromLease(
        await this.kube.coordination.replaceNamespacedLease({
          name: this.name,
          namespace: this.namespace,
          body: this.body(record, version),
        }),
      );
    } catch (err) {
      if (apiStatus(err) === 409) return undefined;
      throw err;
    }
  }

  private body(record: LeaseRecord, resourceVersion?: string): V1Lease {
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.name, namespace: this.namespace, ...(resourceVersion ? { resourceVersion } : {}) },
      spec: {
        holderIdentity: record.holderIdentity,
        leaseDurationSeconds: record.leaseDurationSeconds,
        leaseTransitions: record.leaseTransitions,
        // MicroTime strings pass the serializer untouched (see the header).
        acquireTime: record.acquireTime as unknown as Date,
        renewTime: record.renewTime as unknown as Date,
      },
    };
  }
}
