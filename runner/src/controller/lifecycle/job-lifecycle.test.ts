import { describe, expect, it } from '@jest/globals';
import type { JobEvent } from '@eci-virtual/contract';
import { createLogger } from '../../observability/logger.js';
import type { WorkflowJob } from '../github/workflow-job.js';
import type { LaunchedPod } from '../jobs/job-launcher.js';
import { createControllerMetrics } from '../metrics.js';
import type { JobRecordStore, RecordChange, StoredJob } from '../records/stored-job.js';
import { JobLifecycle, type LifecycleDeps } from './job-lifecycle.js';

/** Records in memory, stored as JSON like the ConfigMaps; `failures` makes the next updates throw. */
class MemoryStore implements JobRecordStore {
  readonly data = new Map<string, string>();
  writes = 0;
  calls = 0;
  failures = 0;

  async update(id: string, change: RecordChange): Promise<void> {
    this.calls++;
    if (this.failures > 0) {
      this.failures--;
      throw new Error('etcdserver: request timed out');
    }
    const stored = this.data.get(id);
    const next = change(stored ? (JSON.parse(stored) as StoredJob) : undefined);
    if (!next || JSON.stringify(next) === stored) return;
    this.data.set(id, JSON.stringify(next));
    this.writes++;
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
  record(id: number | string): StoredJob {
    return JSON.parse(this.data.get(String(id))!) as StoredJob;
  }
}

function setup(over: Partial<LifecycleDeps> = {}) {
  const store = new MemoryStore();
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({}, { level: 'debug', write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>) });
  const metrics = createControllerMetrics();
  const lifecycle = new JobLifecycle({
    store,
    log,
    metrics,
    retry: { attempts: 4, firstDelayMs: 1, maxDelayMs: 4 },
    ...over,
  });
  const at = (level: string) => lines.filter((l) => l.level === level);
  const failures = async () => (await metrics.recordWriteFailures.get()).values;
  return { store, lifecycle, lines, at, failures };
}

const QUEUED_AT = '2026-12-01T10:00:00.000Z';
const job = (id: number, over: Partial<WorkflowJob> = {}): WorkflowJob => ({
  id,
  runId: 7,
  runAttempt: 1,
  repo: 'o/r',
  name: 'test',
  workflowName: 'CI',
  headSha: 'a'.repeat(40),
  labels: ['eci-virtual'],
  status: 'queued',
  conclusion: null,
  createdAt: QUEUED_AT,
  startedAt: null,
  completedAt: null,
  runnerName: null,
  htmlUrl: `https://github.com/o/r/actions/runs/7/job/${id}`,
  ...over,
});
const completed = (id: number, conclusion: string, completedAt: string, runnerName = `eci-virtual-${id}`) =>
  job(id, { status: 'completed', conclusion, completedAt, runnerName });
const launched = (id: number, over: Partial<LaunchedPod> = {}): LaunchedPod => ({
  namespace: 'ci',
  name: `eci-job-${id}`,
  createdAt: '2026-12-01T10:00:00.300Z',
  resources: { cpu: '2', memory: '4Gi' },
  images: ['runner:1', 'node:20'],
  imageRoles: [{ ref: 'node:20', role: 'job' }],
  cachedImages: ['node:20'],
  ...over,
});
const NODE = { name: 'eci-virtual', type: 'virtual' as const };
const reasons = (r: StoredJob) => r.events.map((e) => e.reason);

describe('job lifecycle', () => {
  it("adds the base images kaniko pulled to a finished job's images as kaniko-base, each once", async () => {
    const { store, lifecycle } = setup();
    await lifecycle.queued(job(40), { cpu: '1', memory: '2Gi' });
    await lifecycle.podCreated(job(40), launched(40));
    await lifecycle.runnerExited('40', { at: '2026-12-01T10:01:00Z', exitCode: 0 });
    await lifecycle.kanikoBasesPulled('40', ['golang:1.23', 'alpine:3.20', 'golang:1.23']);
    const writes = store.writes;
    await lifecycle.kanikoBasesPulled('40', ['alpine:3.20']); // nothing new: not written
    await lifecycle.kanikoBasesPulled('40', []);
    expect(store.writes).toBe(writes);
    await lifecycle.completed(completed(40, 'success', '2026-12-01T10:01:01Z'));
    expect(store.record(40)).toMatchObject({
      status: 'succeeded',
      imageRoles: [
        { ref: 'node:20', role: 'job' },
        { ref: 'golang:1.23', role: 'kaniko-base' },
        { ref: 'alpine:3.20', role: 'kaniko-base' },
      ],
    });
    // A job without a record gets none.
    await lifecycle.kanikoBasesPulled('41', ['golang:1.23']);
    expect(await store.get('41')).toBeUndefined();
  });

  it('keeps the queue breakdown marks: received, scheduled, assigned, first step (first observation wins)', async () => {
    const { store, lifecycle } = setup();
    await lifecycle.queued(job(30), { cpu: '1', memory: '2Gi' }, '2026-12-01T10:00:00.100Z');
    await lifecycle.queued(job(30), { cpu: '1', memory: '2Gi' }, '2026-12-01T10:00:09.000Z');
    await lifecycle.podCreated(job(30), launched(30));
    await lifecycle.scheduled('30', NODE, '2026-12-01T10:00:00.400Z');
    await lifecycle.scheduled('30', NODE, '2026-12-01T10:00:05.000Z');
    await lifecycle.assigned(job(30, { status: 'in_progress', startedAt: '2026-12-01T10:00:03Z' }));
    await lifecycle.completed({
      ...completed(30, 'success', '2026-12-01T10:01:00Z'),
      startedAt: '2026-12-01T10:00:04Z',
      firstStepAt: '2026-12-01T10:00:06Z',
    });
    expect(store.record(30)).toMatchObject({
      status: 'succeeded',
      receivedAt: '2026-12-01T10:00:00.100Z',
      scheduledAt: '2026-12-01T10:00:00.400Z',
      assignedAt: '2026-12-01T10:00:03Z',
      firstStepAt: '2026-12-01T10:00:06Z',
    });
  });

  it('records a job from queued to a settled success', async () => {
    const { store, lifecycle, at } = setup();
    await lifecycle.queued(job(1), { cpu: '1', memory: '2Gi' });
    expect(store.record(1)).toMatchObject({ status: 'queued', resources: { cpu: '1', memory: '2Gi' } });
    await lifecycle.podCreated(job(1), launched(1));
    expect(store.record(1)).toMatchObject({
      status: 'pending',
      pod: { namespace: 'ci', name: 'eci-job-1' },
      podCreatedAt: '2026-12-01T10:00:00.300Z',
      resources: { cpu: '2', memory: '4Gi' },
      images: ['runner:1', 'node:20'],
      imageCache: { used: false, images: ['node:20'] },
    });
    await lifecycle.scheduled('1', NODE);
    await lifecycle.running('1', '2026-12-01T10:00:02.000Z');
    expect(store.record(1)).toMatchObject({ status: 'running', node: NODE, runningAt: '2026-12-01T10:00:02.000Z' });
    await lifecycle.runnerExited('1', { at: '2026-12-01T10:01:00.000Z', exitCode: 0 });
    expect(store.record(1)).toMatchObject({ status: 'succeeded', finishedBy: 'runner' });
    await lifecycle.completed(completed(1, 'success', '2026-12-01T10:00:59.000Z'));
    expect(store.record(1)).toMatchObject({
      status: 'succeeded',
      conclusion: 'success',
      finishedBy: 'github',
      finishedAt: '2026-12-01T10:00:59.000Z',
    });
    expect(reasons(store.record(1))).toEqual(['RunnerExited']);
    expect(store.writes).toBe(6);
    expect(at('debug')).toEqual([]);
  });

  it('creates the record from the pod when it comes first, and ignores the queued that follows', async () => {
    const { store, lifecycle, at } = setup();
    await lifecycle.podCreated(job(2), launched(2, { planProblem: 'container image ${{ x }} cannot be resolved' }));
    await lifecycle.queued(job(2), { cpu: '1', memory: '2Gi' });
    await lifecycle.queued(job(2), { cpu: '1', memory: '2Gi' });
    expect(store.writes).toBe(1);
    expect(store.record(2)).toMatchObject({ status: 'pending', queuedAt: QUEUED_AT, resources: { cpu: '2' } });
    expect(store.record(2).events).toEqual([
      {
        at: '2026-12-01T10:00:00.300Z',
        type: 'Warning',
        reason: 'PlanIncomplete',
        message: 'container image ${{ x }} cannot be resolved',
      },
    ]);
    expect(at('debug')).toEqual([
      expect.objectContaining({ job: '2', change: 'queued', phase: 'pending', to: 'queued' }),
      expect.objectContaining({ job: '2', change: 'queued', phase: 'pending', to: 'queued' }),
    ]);
  });

  it('takes a `completed` that arrives before running, and ignores the late running', async () => {
    const { store, lifecycle, at } = setup();
    await lifecycle.queued(job(3), { cpu: '1', memory: '2Gi' });
    await lifecycle.podCreated(job(3), launched(3));
    await lifecycle.completed(completed(3, 'failure', '2026-12-01T10:00:05.000Z'));
    const settled = store.record(3);
    expect(settled).toMatchObject({ status: 'failed', conclusion: 'failure', finishedAt: '2026-12-01T10:00:05.000Z' });
    await lifecycle.running('3', '2026-12-01T10:00:06.000Z');
    await lifecycle.scheduled('3', NODE);
    expect(store.record(3)).toEqual(settled);
    expect(at('debug')).toEqual([
      expect.objectContaining({ job: '3', change: 'running', phase: 'failed', to: 'running' }),
      expect.objectContaining({ job: '3', change: 'scheduled', phase: 'failed' }),
    ]);
  });

  it('ignores a duplicate `completed`, whatever it says', async () => {
    const { store, lifecycle, at } = setup();
    await lifecycle.queued(job(4), { cpu: '1', memory: '2Gi' });
    await lifecycle.completed(completed(4, 'cancelled', '2026-12-01T10:00:05.000Z'));
    const writes = store.writes;
    await lifecycle.completed(completed(4, 'cancelled', '2026-12-01T10:00:05.000Z'));
    await lifecycle.completed(completed(4, 'success', '2026-12-01T10:09:00.000Z'));
    expect(store.writes).toBe(writes);
    expect(store.record(4)).toMatchObject({ status: 'cancelled', finishedAt: '2026-12-01T10:00:05.000Z' });
    expect(at('debug')).toHaveLength(2);
  });

  it("lets GitHub's conclusion correct the runner's exit code, and not the other way round", async () => {
    const { store, lifecycle } = setup();
    await lifecycle.queued(job(5), { cpu: '1', memory: '2Gi' });
    await lifecycle.running('5', '2026-12-01T10:00:02.000Z');
    await lifecycle.runnerExited('5', { at: '2026-12-01T10:01:00.000Z', exitCode: 0 });
    await lifecycle.completed(completed(5, 'failure', '2026-12-01T10:00:58.000Z'));
    expect(store.record(5)).toMatchObject({ status: 'failed', conclusion: 'failure', finishedBy: 'github' });
    // The runner's exit seen again (a restarted controller): the timeline keeps one entry, the phase stays.
    await lifecycle.runnerExited('5', { at: '2026-12-01T10:01:00.000Z', exitCode: 0 });
    expect(store.record(5)).toMatchObject({ status: 'failed', finishedAt: '2026-12-01T10:00:58.000Z' });
    expect(reasons(store.record(5))).toEqual(['RunnerExited']);
  });

  it("keeps GitHub's finish when the runner's exit comes after it, and adds the exit to the timeline", async () => {
    const { store, lifecycle } = setup();
    await lifecycle.queued(job(6), { cpu: '1', memory: '2Gi' });
    await lifecycle.completed(completed(6, 'success', '2026-12-01T10:00:58.000Z'));
    await lifecycle.runnerExited('6', { at: '2026-12-01T10:01:00.000Z', exitCode: 1 });
    expect(store.record(6)).toMatchObject({
      status: 'succeeded',
      finishedBy: 'github',
      finishedAt: '2026-12-01T10:00:58.000Z',
      events: [{ reason: 'RunnerExited', type: 'Warning', message: 'runner exited with 1' }],
    });
  });

  it('keeps the first running observation', async () => {
    const { store, lifecycle, at } = setup();
    await lifecycle.queued(job(7), { cpu: '1', memory: '2Gi' });
    await lifecycle.running('7', '2026-12-01T10:00:02.000Z');
    await lifecycle.running('7', '2026-12-01T11:30:00.000Z'); // a restarted controller sees the pod again
    expect(store.record(7).runningAt).toBe('2026-12-01T10:00:02.000Z');
    expect(at('debug')).toEqual([expect.objectContaining({ change: 'running', phase: 'running', to: 'running' })]);
  });

  it('writes the pod of a job already seen running, without moving it back to pending', async () => {
    const { store, lifecycle } = setup();
    await lifecycle.queued(job(8), { cpu: '1', memory: '2Gi' });
    await lifecycle.running('8', '2026-12-01T10:00:02.000Z');
    await lifecycle.podCreated(job(8), launched(8));
    expect(store.record(8)).toMatchObject({
      status: 'running',
      pod: { name: 'eci-job-8' },
      podCreatedAt: '2026-12-01T10:00:00.300Z',
    });
  });

  it('leaves a job cancelled while its pod was being created as it is, but keeps the plan problem', async () => {
    const { store, lifecycle } = setup();
    await lifecycle.queued(job(9), { cpu: '1', memory: '2Gi' });
    await lifecycle.completed(completed(9, 'cancelled', '2026-12-01T10:00:00.100Z', ''));
    await lifecycle.podCreated(job(9), launched(9, { planProblem: 'workflow not found' }));
    const r = store.record(9);
    expect(r).toMatchObject({ status: 'cancelled', resources: { cpu: '1', memory: '2Gi' }, images: [] });
    expect(r.pod).toBeUndefined();
    expect(r.podCreatedAt).toBeUndefined();
    expect(reasons(r)).toEqual(['PlanIncomplete']);
  });

  it('gives a job run by the runner of another job’s pod (a swap) that pod’s placement', async () => {
    const { store, lifecycle, at } = setup();
    // Job 10's pod was created before job 11 was queued; its runner took job 11.
    const earlier = (id: number) => job(id, { createdAt: '2026-12-01T09:59:00.000Z' });
    await lifecycle.queued(earlier(10), { cpu: '1', memory: '2Gi' });
    await lifecycle.podCreated(earlier(10), launched(10, { createdAt: '2026-12-01T09:59:00.300Z' }));
    await lifecycle.scheduled('10', NODE);
    await lifecycle.running('10', '2026-12-01T09:59:02.000Z');
    await lifecycle.queued(job(11), { cpu: '1', memory: '2Gi' });
    await lifecycle.podCreated(job(11), launched(11, { resources: { cpu: '1', memory: '1Gi' } }));
    await lifecycle.completed(completed(11, 'success', '2026-12-01T10:01:00.000Z', 'eci-virtual-10'), '10');
    expect(store.record(11)).toMatchObject({
      status: 'succeeded',
      conclusion: 'success',
      pod: { name: 'eci-job-10' },
      node: NODE,
      resources: { cpu: '2', memory: '4Gi' },
      podCreatedAt: QUEUED_AT, // not before job 11 was queued
      runningAt: QUEUED_AT,
    });
    // Job 11's own pod is scheduled late: the job keeps where it really ran.
    await lifecycle.scheduled('11', { name: 'other-node', type: 'regular' });
    expect(store.record(11).node).toEqual(NODE);
    // The host pod's runner exits: job 10 finishes provisionally; its own completion (via job 12's pod) settles it.
    await lifecycle.runnerExited('10', { at: '2026-12-01T10:01:01.000Z', exitCode: 0 });
    expect(store.record(10)).toMatchObject({ status: 'succeeded', finishedBy: 'runner' });
    await lifecycle.completed(completed(10, 'failure', '2026-12-01T10:05:00.000Z', 'eci-virtual-12'), '12');
    expect(store.record(10)).toMatchObject({
      status: 'failed',
      finishedBy: 'github',
      finishedAt: '2026-12-01T10:05:00.000Z',
      pod: { name: 'eci-job-10' }, // job 12 has no record: what is known stays
    });
    expect(at('debug')).toEqual([expect.objectContaining({ job: '11', change: 'scheduled', phase: 'succeeded' })]);
  });

  it('merges pod events and reads image-cache use from them, also after the job finished', async () => {
    const { store, lifecycle } = setup();
    const ev = (reason: string, at: string, message = ''): JobEvent => ({ at, type: 'Normal', reason, message });
    await lifecycle.podCreated(job(13), launched(13));
    await lifecycle.eventsCopied('13', [ev('Scheduled', '2026-12-01T10:00:01.000Z')]);
    expect(store.record(13).imageCache).toEqual({ used: false, images: ['node:20'] });
    await lifecycle.completed(completed(13, 'success', '2026-12-01T10:01:00.000Z'));
    await lifecycle.eventsCopied('13', [
      ev('Scheduled', '2026-12-01T10:00:01.000Z'),
      ev('Pulled', '2026-12-01T10:00:02.000Z', 'Container image "node:20" already present on machine'),
    ]);
    expect(reasons(store.record(13))).toEqual(['Scheduled', 'Pulled']);
    expect(store.record(13).imageCache).toEqual({ used: true, images: ['node:20'] });
  });

  it('writes nothing for a job it has no record of, except to create one from the job', async () => {
    const { store, lifecycle } = setup();
    await lifecycle.completed(completed(14, 'success', '2026-12-01T10:01:00.000Z'));
    await lifecycle.running('14', '2026-12-01T10:00:02.000Z');
    await lifecycle.scheduled('14', NODE);
    await lifecycle.runnerExited('14', { at: '2026-12-01T10:01:00.000Z', exitCode: 0 });
    await lifecycle.launchFailed('14', 'boom');
    await lifecycle.eventsCopied('14', [{ at: QUEUED_AT, type: 'Normal', reason: 'Scheduled', message: '' }]);
    expect(store.writes).toBe(0);
  });

  it('puts a failed launch on the timeline', async () => {
    const { store, lifecycle } = setup();
    await lifecycle.queued(job(15), { cpu: '1', memory: '2Gi' });
    await lifecycle.launchFailed('15', 'generate-jitconfig: 502', '2026-12-01T10:00:01.000Z');
    expect(store.record(15)).toMatchObject({
      status: 'queued',
      events: [{ reason: 'LaunchFailed', type: 'Warning', message: 'generate-jitconfig: 502' }],
    });
  });
});

describe('job record writes', () => {
  it('retries a failed write: written once, each failure logged with the job id', async () => {
    const { store, lifecycle, at, failures } = setup();
    store.failures = 2;
    await lifecycle.queued(job(20), { cpu: '1', memory: '2Gi' });
    expect(store.calls).toBe(3);
    expect(store.writes).toBe(1);
    expect(store.record(20).status).toBe('queued');
    expect(at('warn')).toEqual([
      expect.objectContaining({ msg: 'job record write failed; retrying', job: '20', change: 'queued', attempt: 1 }),
      expect.objectContaining({ msg: 'job record write failed; retrying', job: '20', change: 'queued', attempt: 2 }),
    ]);
    expect(at('warn')[0]!.err).toBe('etcdserver: request timed out');
    expect(at('error')).toEqual([]);
    expect(await failures()).toEqual([]);
  });

  it('gives up after the last attempt: an error line and the failure counter, never a rejection', async () => {
    const { store, lifecycle, at, failures } = setup();
    await lifecycle.queued(job(21), { cpu: '1', memory: '2Gi' });
    store.failures = Infinity;
    await expect(lifecycle.running('21', '2026-12-01T10:00:02.000Z')).resolves.toBeUndefined();
    expect(store.calls).toBe(1 + 4);
    expect(at('warn')).toHaveLength(3);
    expect(at('error')).toEqual([
      expect.objectContaining({ msg: 'job record write failed; giving up', job: '21', change: 'running', attempts: 4 }),
    ]);
    expect(await failures()).toEqual([expect.objectContaining({ value: 1, labels: { change: 'running' } })]);
    expect(store.record(21).status).toBe('queued');
  });

  it('backs off between attempts, doubling up to the maximum', async () => {
    const { store, lifecycle, at } = setup({ retry: { attempts: 5, firstDelayMs: 1, maxDelayMs: 3 } });
    store.failures = Infinity;
    await lifecycle.launchFailed('22', 'x');
    expect(at('warn').map((l) => l.retryInMs)).toEqual([1, 2, 3, 3]);
  });

  it('stops retrying when its signal aborts', async () => {
    const abort = new AbortController();
    const { store, lifecycle, at, failures } = setup({
      signal: abort.signal,
      retry: { attempts: 5, firstDelayMs: 60_000, maxDelayMs: 60_000 },
    });
    store.failures = Infinity;
    const t0 = Date.now();
    const writing = lifecycle.queued(job(23), { cpu: '1', memory: '2Gi' });
    setTimeout(() => abort.abort(), 20);
    await writing;
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(store.calls).toBe(1);
    expect(at('error')).toEqual([expect.objectContaining({ job: '23', reason: 'stopping', attempts: 1 })]);
    expect(await failures()).toEqual([expect.objectContaining({ value: 1, labels: { change: 'queued' } })]);
  });
});
