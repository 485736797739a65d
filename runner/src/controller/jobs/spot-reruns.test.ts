import { describe, expect, it } from '@jest/globals';
import { Forbidden, type JobEvent } from '@eci-virtual/contract';
import type { V1Pod } from '@kubernetes/client-node';
import { createLogger } from '../../observability/logger.js';
import type { WorkflowJob } from '../github/workflow-job.js';
import { JobLifecycle } from '../lifecycle/job-lifecycle.js';
import { createControllerMetrics } from '../metrics.js';
import { toJobRecord } from '../portal-api/job-view.js';
import type { JobRecordStore, RecordChange, StoredJob } from '../records/stored-job.js';
import { SpotReruns, wasReclaimed } from './spot-reruns.js';

class MemoryStore implements JobRecordStore {
  readonly data = new Map<string, string>();
  async update(id: string, change: RecordChange): Promise<void> {
    const stored = this.data.get(id);
    const next = change(stored ? (JSON.parse(stored) as StoredJob) : undefined);
    if (next) this.data.set(id, JSON.stringify(next));
  }
  async get(id: string) {
    const s = this.data.get(id);
    return s ? (JSON.parse(s) as StoredJob) : undefined;
  }
  async list(repo: string) {
    return [...this.data.values()].map((s) => JSON.parse(s) as StoredJob).filter((r) => r.repo === repo);
  }
  async prune() {
    return 0;
  }
}

const job = (id: number, over: Partial<WorkflowJob> = {}): WorkflowJob => ({
  id,
  runId: 7,
  runAttempt: 1,
  repo: 'o/r',
  name: 'build',
  workflowName: 'CI',
  headSha: 'a'.repeat(40),
  labels: ['eci-virtual'],
  status: 'queued',
  conclusion: null,
  createdAt: '2026-12-01T10:00:00Z',
  startedAt: null,
  completedAt: null,
  runnerName: null,
  htmlUrl: `https://github.com/o/r/actions/runs/7/job/${id}`,
  ...over,
});
const failed = (id: number, over: Partial<WorkflowJob> = {}) =>
  job(id, { status: 'completed', conclusion: 'failure', completedAt: '2026-12-01T10:05:00Z', ...over });
const pod = (reason?: string): V1Pod => ({ metadata: { name: 'eci-job-1' }, status: { phase: 'Failed', reason } });
const notice: JobEvent = {
  at: '2026-12-01T10:03:00Z',
  type: 'Warning',
  reason: 'SpotToBeReleased',
  message: 'Spot ECI will be released in 3 minutes',
};

function setup(rerun: (repo: string, id: number) => Promise<void> = async () => undefined) {
  const store = new MemoryStore();
  const log = createLogger({}, { level: 'error' });
  const lifecycle = new JobLifecycle({
    store,
    log,
    metrics: createControllerMetrics(),
    retry: { attempts: 2, firstDelayMs: 1, maxDelayMs: 1 },
  });
  const calls: number[] = [];
  const spot = new SpotReruns({
    lifecycle,
    records: store,
    github: { rerunJob: (repo, id) => (calls.push(id), rerun(repo, id)) },
    log,
  });
  const record = (id: number) => store.get(String(id)) as Promise<StoredJob>;
  const start = async (id: number, w: WorkflowJob = job(id), spotPod = true) => {
    await lifecycle.queued(w, { cpu: '1', memory: '2Gi' });
    await spot.queued(w);
    await lifecycle.podCreated(w, {
      namespace: 'ci',
      name: `eci-job-${id}`,
      createdAt: '2026-12-01T10:00:01Z',
      resources: { cpu: '1', memory: '2Gi' },
      images: [],
      imageRoles: [],
      cachedImages: [],
      ...(spotPod ? { spot: true } : {}),
    });
  };
  return { store, lifecycle, spot, calls, record, start };
}

describe('spot re-runs', () => {
  it('tells a reclaimed pod by its notice event or its SpotReclaimed status', () => {
    expect(wasReclaimed(pod(), [notice])).toBe(notice.at);
    expect(wasReclaimed(pod('SpotReclaimed'), [])).toMatch(/^\d{4}-/);
    expect(wasReclaimed(pod('Error'), [])).toBeUndefined();
  });

  it('re-runs a reclaimed job once GitHub failed it — once, whatever order and however often the news comes', async () => {
    const { spot, lifecycle, calls, record, start } = setup();
    await start(1);
    await lifecycle.completed(failed(1));
    await spot.completed('1');
    expect(calls).toEqual([]); // failed, but not reclaimed: no re-run
    await spot.podFinished('1', pod('SpotReclaimed'), [notice]);
    await spot.podFinished('1', pod('SpotReclaimed'), [notice]);
    await spot.completed('1');
    expect(calls).toEqual([1]);
    const r = await record(1);
    expect(r.spot).toMatchObject({ preferred: true, reclaimedAt: notice.at });
    expect(r.spot!.rerunRequestedAt).toBeDefined();
    expect(r.events.map((e) => e.reason)).toContain('SpotRerun');
    expect(r.spotAttempts).toEqual([
      expect.objectContaining({ jobId: '1', runAttempt: 1, spot: true, outcome: 'reclaimed', conclusion: 'failure' }),
    ]);
  });

  it('links the re-run attempt to the reclaimed one: both records list both attempts', async () => {
    const { spot, lifecycle, calls, record, start, store } = setup();
    await start(1);
    await spot.podFinished('1', pod(), [notice]); // reclaim seen first, GitHub's word later
    expect(calls).toEqual([]);
    await lifecycle.completed(failed(1));
    await spot.completed('1');
    expect(calls).toEqual([1]);
    const second = job(2, { runAttempt: 2 });
    await start(2, second, false); // a later attempt is placed pay-as-you-go
    await lifecycle.running('2', '2026-12-01T10:07:00Z');
    await lifecycle.completed(
      job(2, { runAttempt: 2, status: 'completed', conclusion: 'success', completedAt: '2026-12-01T10:08:00Z' }),
    );
    await spot.completed('2');
    expect(calls).toEqual([1]); // the re-run is not re-run
    const [r1, r2] = [await record(1), await record(2)];
    expect(r2.spot).toEqual({ preferred: false, rerunOf: '1' });
    const attempts = [
      expect.objectContaining({ jobId: '1', runAttempt: 1, spot: true, outcome: 'reclaimed' }),
      expect.objectContaining({ jobId: '2', runAttempt: 2, spot: false, outcome: 'succeeded', conclusion: 'success' }),
    ];
    expect(r2.spotAttempts).toEqual(attempts);
    expect(r1.spotAttempts).toEqual(attempts);
    const prices = { vcpuSecondUsd: 0.0000077, gibSecondUsd: 0.00000096 };
    expect(toJobRecord(r1, prices).spotAttempts).toEqual(attempts);
    expect(toJobRecord(r2, prices).spot).toEqual({ preferred: false, rerunOf: '1' });
    expect(store.data.size).toBe(2);
  });

  it('does not re-run a reclaimed job that succeeded, one that never asked for spot, or one that fell back', async () => {
    const { spot, lifecycle, calls, start } = setup();
    await start(1);
    await spot.podFinished('1', pod('SpotReclaimed'), [notice]);
    await lifecycle.completed(
      job(1, { status: 'completed', conclusion: 'success', completedAt: '2026-12-01T10:05:00Z' }),
    );
    await spot.completed('1');
    await start(3, job(3), false);
    await spot.podFinished('3', pod('SpotReclaimed'), [notice]);
    await lifecycle.completed(failed(3));
    await spot.completed('3');
    await start(4);
    const fallback: JobEvent = { ...notice, reason: 'SpotFallback', message: 'no spot capacity' };
    await lifecycle.eventsCopied('4', [fallback]);
    await spot.podFinished('4', pod('SpotReclaimed'), []);
    await lifecycle.completed(failed(4));
    await spot.completed('4');
    expect(calls).toEqual([]);
  });

  it('records a refused re-run and does not ask again', async () => {
    const { spot, lifecycle, calls, record, start } = setup(async () => {
      throw new Forbidden('Resource not accessible by integration');
    });
    await start(1);
    await spot.podFinished('1', pod('SpotReclaimed'), [notice]);
    await lifecycle.completed(failed(1));
    await spot.completed('1');
    await spot.completed('1');
    expect(calls).toEqual([1]);
    const failedEvent = (await record(1)).events.find((e) => e.reason === 'SpotRerunFailed');
    expect(failedEvent?.message).toMatch(/Resource not accessible by integration/);
  });
});
