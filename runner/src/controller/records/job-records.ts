/**
 * Job records for the developer portal, kept in Kubernetes (one ConfigMap per job, labelled by repository, pruned
 * after a TTL) so they survive controller restarts and need no database. Figures shown in the UI (latencies,
 * duration, cost) are derived on read from the stored timestamps, see portal-api/job-view.ts.
 */
import type { V1ConfigMap } from '@kubernetes/client-node';
import { ANNOTATION, COMPONENT, LABEL, MANAGED_BY, repositoryLabel, type JobEvent } from '@eci-virtual/contract';
import { apiStatus, type KubeClients } from '../../kube/client.js';
import type { Logger } from '../../observability/logger.js';
import type { WorkflowJob } from '../github/workflow-job.js';
import { mergeEvents, type JobRecordReader, type StoredJob } from './stored-job.js';

const RECORD_COMPONENT = COMPONENT.jobRecord;
const DATA_KEY = 'record.json';

/** The record of a job as first seen (queued); later facts are merged into it. */
export function initialRecord(job: WorkflowJob, resources: { cpu: string; memory: string }): StoredJob {
  return {
    id: String(job.id),
    runId: String(job.runId),
    runAttempt: job.runAttempt,
    repo: job.repo,
    workflow: job.workflowName,
    job: job.name,
    htmlUrl: job.htmlUrl,
    status: 'queued',
    labels: job.labels,
    resources,
    images: [],
    imageCache: { used: false, images: [] },
    queuedAt: job.createdAt,
    events: [],
  };
}

const recordName = (jobId: string | number): string => `eci-job-record-${jobId}`;

export class JobRecords implements JobRecordReader {
  constructor(
    private readonly kube: KubeClients,
    private readonly namespace: string,
    private readonly ttlDays: number,
    private readonly log: Logger,
  ) {}

  /** Creates the record, or merges `patch` into an existing one (later facts win; events merge without duplicates). */
  async upsert(id: string, patch: Partial<StoredJob> & { addEvents?: JobEvent[] }, initial?: StoredJob): Promise<void> {
    const name = recordName(id);
    for (let attempt = 0; attempt < 5; attempt++) {
      const existing = await this.kube.core
        .readNamespacedConfigMap({ name, namespace: this.namespace })
        .catch((err) => {
          if (apiStatus(err) === 404) return undefined;
          throw err;
        });
      const { addEvents, ...fields } = patch;
      if (!existing) {
        if (!initial) return; // nothing known yet about this job: a later call with `initial` creates it
        const record: StoredJob = { ...initial, ...fields, events: mergeEvents(initial.events, addEvents ?? []) };
        try {
          await this.kube.core.createNamespacedConfigMap({ namespace: this.namespace, body: this.toConfigMap(record) });
          return;
        } catch (err) {
          if (apiStatus(err) === 409) continue;
          throw err;
        }
      }
      const current = JSON.parse(existing.data?.[DATA_KEY] ?? '{}') as StoredJob;
      const events = mergeEvents(current.events ?? [], addEvents ?? []);
      const record: StoredJob = { ...current, ...stripUndefined(fields), events };
      try {
        await this.kube.core.replaceNamespacedConfigMap({
          name,
          namespace: this.namespace,
          body: {
            ...this.toConfigMap(record),
            metadata: { ...this.toConfigMap(record).metadata, resourceVersion: existing.metadata!.resourceVersion! },
          },
        });
        return;
      } catch (err) {
        if (apiStatus(err) === 409) continue;
        throw err;
      }
    }
    this.log.warn('job record update lost after repeated conflicts', { job: id });
  }

  async get(id: string): Promise<StoredJob | undefined> {
    const cm = await this.kube.core
      .readNamespacedConfigMap({ name: recordName(id), namespace: this.namespace })
      .catch((err) => {
        if (apiStatus(err) === 404) return undefined;
        throw err;
      });
    return cm?.data?.[DATA_KEY] ? (JSON.parse(cm.data[DATA_KEY]) as StoredJob) : undefined;
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

  /** Deletes records older than the TTL; returns how many. */
  async prune(now = Date.now()): Promise<number> {
    const res = await this.kube.core.listNamespacedConfigMap({
      namespace: this.namespace,
      labelSelector: `${LABEL.component}=${RECORD_COMPONENT}`,
    });
    let n = 0;
    for (const cm of res.items) {
      const expires = Date.parse(cm.metadata?.annotations?.[ANNOTATION.expiresAt] ?? '');
      if (Number.isFinite(expires) && expires < now) {
        await this.kube.core
          .deleteNamespacedConfigMap({ name: cm.metadata!.name!, namespace: this.namespace })
          .catch(() => undefined);
        n++;
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

const stripUndefined = <T extends object>(o: T): Partial<T> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
