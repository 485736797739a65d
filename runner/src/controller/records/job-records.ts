/**
 * Job records kept in Kubernetes (one ConfigMap per job, labelled by repository, pruned after a TTL). With the job
 * history database (controller/history/) they are only its write-ahead spill: a record is written here when the
 * database cannot take it and deleted once the database has it (records/history-records.ts); without a database
 * (it could not be opened) they are the records, as before. Figures shown in the UI (latencies,
 * duration, cost) are derived on read from the stored timestamps, see portal-api/job-view.ts.
 */
import type { V1ConfigMap } from '@kubernetes/client-node';
import { ANNOTATION, COMPONENT, Conflict, LABEL, MANAGED_BY, repositoryLabel } from '@eci-virtual/contract';
import { apiStatus, type KubeClients } from '../../kube/client.js';
import type { Logger } from '../../observability/logger.js';
import type { JobRecordStore, RecordChange, StoredJob } from './stored-job.js';

const RECORD_COMPONENT = COMPONENT.jobRecord;
const DATA_KEY = 'record.json';
/** Optimistic writes that lose to a concurrent writer this often in a row give up with Conflict. */
const MAX_CONFLICTS = 5;
/** Records remembered as last read or written (a few hours of jobs at 50 concurrent). */
const REMEMBERED = 5_000;

const recordName = (jobId: string | number): string => `eci-job-record-${jobId}`;

export class JobRecords implements JobRecordStore {
  /**
   * Each record's ConfigMap as this store last read or wrote it. The leader's lifecycle is the only writer of records
   * (lifecycle/one-writer.test.ts) and each leadership term has a store of its own, so an update starts from this copy
   * instead of reading the record again: a milestone costs one write, not a read and a write. The write still carries
   * the copy's resourceVersion, so a record changed elsewhere meanwhile ends in 409, is read again and the change
   * applied to what is stored.
   */
  private readonly known = new Map<string, V1ConfigMap>();

  constructor(
    private readonly kube: KubeClients,
    private readonly namespace: string,
    private readonly ttlDays: number,
    private readonly log: Logger,
  ) {}

  async update(id: string, change: RecordChange): Promise<void> {
    const name = recordName(id);
    for (let attempt = 0; attempt < MAX_CONFLICTS; attempt++) {
      const existing = (attempt === 0 ? this.known.get(id) : undefined) ?? (await this.read(id));
      const stored = existing?.data?.[DATA_KEY];
      const next = change(stored ? (JSON.parse(stored) as StoredJob) : undefined);
      if (!next || JSON.stringify(next) === stored) return;
      const body = this.toConfigMap(next);
      try {
        const written = !existing
          ? await this.kube.core.createNamespacedConfigMap({ namespace: this.namespace, body })
          : await this.kube.core.replaceNamespacedConfigMap({
              name,
              namespace: this.namespace,
              body: { ...body, metadata: { ...body.metadata, resourceVersion: existing.metadata!.resourceVersion! } },
            });
        this.remember(id, written);
        return;
      } catch (err) {
        this.known.delete(id);
        if (apiStatus(err) !== 409) throw err;
      }
    }
    throw new Conflict(`job record ${name}: still conflicting after ${MAX_CONFLICTS} attempts`);
  }

  async get(id: string): Promise<StoredJob | undefined> {
    const cm = this.known.get(id) ?? (await this.read(id));
    return cm?.data?.[DATA_KEY] ? (JSON.parse(cm.data[DATA_KEY]) as StoredJob) : undefined;
  }

  /** The record's ConfigMap from the API server (remembered), or undefined when there is none. */
  private async read(id: string): Promise<V1ConfigMap | undefined> {
    const cm = await this.kube.core
      .readNamespacedConfigMap({ name: recordName(id), namespace: this.namespace })
      .catch((err) => {
        if (apiStatus(err) === 404) return undefined;
        throw err;
      });
    if (cm) this.remember(id, cm);
    return cm;
  }

  private remember(id: string, cm: V1ConfigMap): void {
    this.known.delete(id);
    this.known.set(id, cm);
    if (this.known.size > REMEMBERED) this.known.delete(this.known.keys().next().value!);
  }

  async list(repo: string): Promise<StoredJob[]> {
    const res = await this.kube.core.listNamespacedConfigMap({
      namespace: this.namespace,
      labelSelector: `${LABEL.component}=${RECORD_COMPONENT},${LABEL.repo}=${repositoryLabel(repo)}`,
    });
    return res.items
      .map((cm) => JSON.parse(cm.data?.[DATA_KEY] ?? 'null') as StoredJob | null)
      .filter((r): r is StoredJob => r !== null && r.repo === repo);
  }

  /** The record's ConfigMap gone (a missing one is fine). */
  async delete(id: string): Promise<void> {
    this.known.delete(id);
    await this.kube.core.deleteNamespacedConfigMap({ name: recordName(id), namespace: this.namespace }).catch((err) => {
      if (apiStatus(err) !== 404) throw err;
    });
  }

  /** Every record, of every repository. */
  async listAll(): Promise<StoredJob[]> {
    const res = await this.kube.core.listNamespacedConfigMap({
      namespace: this.namespace,
      labelSelector: `${LABEL.component}=${RECORD_COMPONENT}`,
    });
    return res.items
      .map((cm) => JSON.parse(cm.data?.[DATA_KEY] ?? 'null') as StoredJob | null)
      .filter((r): r is StoredJob => r !== null);
  }

  /** Deletes records older than the TTL; returns how many. A failed delete is logged and retried next time. */
  async prune(now = Date.now()): Promise<number> {
    const res = await this.kube.core.listNamespacedConfigMap({
      namespace: this.namespace,
      labelSelector: `${LABEL.component}=${RECORD_COMPONENT}`,
    });
    let n = 0;
    for (const cm of res.items) {
      const expires = Date.parse(cm.metadata?.annotations?.[ANNOTATION.expiresAt] ?? '');
      if (!Number.isFinite(expires) || expires >= now) continue;
      try {
        const id = cm.metadata?.labels?.[LABEL.jobId];
        if (id) this.known.delete(id);
        await this.kube.core.deleteNamespacedConfigMap({ name: cm.metadata!.name!, namespace: this.namespace });
        n++;
      } catch (err) {
        if (apiStatus(err) === 404) continue; // deleted meanwhile: nothing left to do
        this.log.warn('could not delete an expired job record', {
          job: cm.metadata?.labels?.[LABEL.jobId],
          record: cm.metadata?.name,
          err: (err as Error).message,
        });
      }
    }
    return n;
  }

  private toConfigMap(record: StoredJob): V1ConfigMap {
    return {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: recordName(record.id),
        namespace: this.namespace,
        labels: {
          [LABEL.managedBy]: MANAGED_BY,
          [LABEL.component]: RECORD_COMPONENT,
          [LABEL.jobId]: record.id,
          [LABEL.repo]: repositoryLabel(record.repo),
        },
        annotations: {
          [ANNOTATION.expiresAt]: new Date(Date.parse(record.queuedAt) + this.ttlDays * 86_400_000).toISOString(),
        },
      },
      data: { [DATA_KEY]: JSON.stringify(record) },
    };
  }
}
