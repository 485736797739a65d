import { describe, expect, it } from '@jest/globals';
import type { KubeClients } from '../../kube/client.js';
import { createLogger } from '../../observability/logger.js';
import type { WorkflowJob } from '../github/workflow-job.js';
import type { StoredJob } from '../records/stored-job.js';
import { DeliveryDispatcher } from './delivery-dispatcher.js';
import { deliveryObjectName, type StoredDelivery } from './delivery-inbox.js';

const job = (id: number) => ({ id, repo: 'o/r', runId: 1, name: 'build', labels: ['eci-virtual'] }) as WorkflowJob;
const delivery = (id: string, action: 'queued' | 'completed', jobId: number): StoredDelivery => ({
  id,
  action,
  job: job(jobId),
  name: deliveryObjectName(id),
  receivedAt: new Date().toISOString(),
  receivedBy: 'replica-1',
});
const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(check()).toBe(true);
};

function setup(records: Record<string, StoredJob['status']> = {}) {
  const calls: string[] = [];
  const settled: string[] = [];
  const pending = new Set<number>();
  const dispatcher = new DeliveryDispatcher({
    kube: {} as KubeClients,
    namespace: 'ns',
    inbox: { settle: async (name) => void settled.push(name), prune: async () => 0 },
    records: {
      get: async (id) => (records[id] ? ({ id, status: records[id] } as StoredJob) : undefined),
    },
    target: {
      onQueued: async (j) => {
        calls.push(`queued ${j.id}`);
        pending.add(j.id);
      },
      onCompleted: async (j) => {
        calls.push(`completed ${j.id}`);
        pending.delete(j.id);
      },
      isPending: (id) => pending.has(id),
    },
    log: createLogger({}, { level: 'error', write: () => undefined }),
    ttlMs: 60_000,
    settlePollMs: 5,
  });
  const term = new AbortController();
  dispatcher.attach(term.signal);
  return { dispatcher, calls, settled, pending, term };
}

describe('delivery dispatcher', () => {
  it('marks a queued delivery done only once its job has left the queue, and takes it once', async () => {
    const s = setup();
    const d = delivery('5a1e0c1e-0000-4000-8000-000000000001', 'queued', 7);
    s.dispatcher.offer(d);
    s.dispatcher.offer(d);
    await until(() => s.calls.length === 1);
    await new Promise((r) => setTimeout(r, 50));
    expect(s.settled).toEqual([]); // still waiting for its pod
    s.pending.delete(7); // launched
    await until(() => s.settled.length === 1);
    expect(s.settled).toEqual(['eci-delivery-5a1e0c1e-0000-4000-8000-000000000001']);
    expect(s.calls).toEqual(['queued 7']);
  });

  it('leaves a delivery pending when the term ends before its job left the queue', async () => {
    const s = setup();
    s.dispatcher.offer(delivery('d-1', 'queued', 8));
    await until(() => s.calls.length === 1);
    s.term.abort();
    s.pending.delete(8);
    await new Promise((r) => setTimeout(r, 50));
    expect(s.settled).toEqual([]);
  });

  it('launches nothing for a job that is over (finished record, or its completion handed over too)', async () => {
    const s = setup({ '9': 'succeeded' });
    s.dispatcher.offer(delivery('d-2', 'queued', 9));
    s.dispatcher.offer(delivery('d-3', 'completed', 10));
    s.dispatcher.offer(delivery('d-4', 'queued', 10));
    await until(() => s.settled.length === 3);
    expect(s.calls).toEqual(['completed 10']);
  });

  it('names objects after GitHub delivery GUIDs, and hashes anything else', () => {
    expect(deliveryObjectName('72D3162E-CC78-11E3-81AB-4C9367DC0958')).toBe(
      'eci-delivery-72d3162e-cc78-11e3-81ab-4c9367dc0958',
    );
    expect(deliveryObjectName('../../etc/passwd')).toMatch(/^eci-delivery-[0-9a-f]{40}$/);
  });
});
