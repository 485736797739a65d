import { describe, expect, it } from '@jest/globals';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { ANNOTATION, Conflict, LABEL } from '@eci-virtual/contract';
import type { KubeClients } from '../../kube/client.js';
import { createLogger } from '../../observability/logger.js';
import { JobRecords } from './job-records.js';
import type { StoredJob } from './stored-job.js';

const apiError = (code: number) => Object.assign(new Error(`HTTP ${code}`), { code });

/** ConfigMaps in memory with the API server's optimistic concurrency: a replace must name the current version. */
function fakeKube() {
  const maps = new Map<string, V1ConfigMap>();
  let version = 0;
  const calls = { create: 0, replace: 0 };
  let reads = 0;
  /** Called before each replace is checked: lets a test change the map underneath (a concurrent writer). */
  let beforeReplace: (name: string) => void = () => undefined;
  let deleteFails: (name: string) => number | undefined = () => undefined;
  const copy = <T>(x: T): T => structuredClone(x);
  const core = {
    readNamespacedConfigMap: async ({ name }: { name: string }) => {
      reads++;
      const cm = maps.get(name);
      if (!cm) throw apiError(404);
      return copy(cm);
    },
    createNamespacedConfigMap: async ({ body }: { body: V1ConfigMap }) => {
      calls.create++;
      const name = body.metadata!.name!;
      if (maps.has(name)) throw apiError(409);
      maps.set(name, { ...copy(body), metadata: { ...copy(body.metadata), resourceVersion: String(++version) } });
      return copy(maps.get(name)!);
    },
    replaceNamespacedConfigMap: async ({ name, body }: { name: string; body: V1ConfigMap }) => {
      calls.replace++;
      beforeReplace(name);
      if (maps.get(name)?.metadata?.resourceVersion !== body.metadata?.resourceVersion) throw apiError(409);
      maps.set(name, { ...copy(body), metadata: { ...copy(body.metadata), resourceVersion: String(++version) } });
      return copy(maps.get(name)!);
    },
    listNamespacedConfigMap: async () => ({ items: [...maps.values()].map(copy) }),
    deleteNamespacedConfigMap: async ({ name }: { name: string }) => {
      const code = deleteFails(name);
      if (code) throw apiError(code);
      maps.delete(name);
      return {};
    },
  };
  return {
    kube: { core } as unknown as KubeClients,
    maps,
    calls,
    reads: () => reads,
    onReplace: (f: (name: string) => void) => (beforeReplace = f),
    failDeletes: (f: (name: string) => number | undefined) => (deleteFails = f),
  };
}

const record = (id: string, over: Partial<StoredJob> = {}): StoredJob => ({
  id,
  runId: '1',
  runAttempt: 1,
  repo: 'o/r',
  workflow: 'CI',
  job: 'test',
  htmlUrl: 'https://github.com/o/r/actions/runs/1/job/' + id,
  status: 'queued',
  labels: ['eci-virtual'],
  resources: { cpu: '1', memory: '2Gi' },
  images: [],
  imageCache: { used: false, images: [] },
  queuedAt: '2026-12-01T10:00:00.000Z',
  events: [],
  ...over,
});

function setup() {
  const k = fakeKube();
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({}, { level: 'debug', write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>) });
  return { ...k, lines, records: new JobRecords(k.kube, 'ci', 14, log) };
}

describe('JobRecords', () => {
  it('creates a record as a labelled ConfigMap that expires after the TTL', async () => {
    const { records, maps } = setup();
    await records.update('1', (r) => r ?? record('1'));
    const cm = maps.get('eci-job-record-1')!;
    expect(cm.metadata!.labels).toMatchObject({ [LABEL.jobId]: '1', [LABEL.repo]: 'o.r' });
    expect(cm.metadata!.annotations![ANNOTATION.expiresAt]).toBe('2026-12-15T10:00:00.000Z');
    expect(await records.get('1')).toEqual(record('1'));
    expect(await records.list('o/r')).toEqual([record('1')]);
    expect(await records.list('o/other')).toEqual([]);
  });

  it('hands the change the stored record and writes nothing when it returns none or the same', async () => {
    const { records, calls } = setup();
    await records.update('1', () => undefined);
    expect(calls.create).toBe(0);
    await records.update('1', () => record('1'));
    await records.update('1', (r) => r);
    await records.update('1', (r) => r && { ...r });
    expect(calls).toEqual({ create: 1, replace: 0 });
    await records.update('1', (r) => r && { ...r, status: 'running' });
    expect(calls.replace).toBe(1);
    expect((await records.get('1'))!.status).toBe('running');
  });

  it('decides again on the record a concurrent writer left, instead of overwriting it', async () => {
    const { records, maps, onReplace } = setup();
    await records.update('1', () => record('1'));
    let raced = false;
    onReplace((name) => {
      if (raced) return;
      raced = true; // someone else finishes the job between our read and our write
      const cm = maps.get(name)!;
      cm.data!['record.json'] = JSON.stringify(record('1', { status: 'succeeded' }));
      cm.metadata!.resourceVersion = '99';
    });
    const seen: string[] = [];
    await records.update('1', (r) => {
      seen.push(r!.status);
      return r!.status === 'queued' ? { ...r!, status: 'running' } : undefined;
    });
    expect(seen).toEqual(['queued', 'succeeded']);
    expect((await records.get('1'))!.status).toBe('succeeded');
  });

  it('writes each milestone without reading the record again; a record changed elsewhere is read again', async () => {
    const { records, maps, reads, calls } = setup();
    await records.update('1', () => record('1'));
    const afterCreate = reads();
    for (const status of ['pending', 'running', 'succeeded'] as const)
      await records.update('1', (r) => r && { ...r, status });
    expect(await records.get('1')).toMatchObject({ status: 'succeeded' });
    expect(reads() - afterCreate).toBe(0);
    expect(calls.replace).toBe(3);
    // Another writer (a leader of a term that just ended) changes the record: our copy is stale, the write conflicts,
    // the record is read again and the change decided on what is stored.
    const cm = maps.get('eci-job-record-1')!;
    cm.data!['record.json'] = JSON.stringify(record('1', { status: 'failed', events: [] }));
    cm.metadata!.resourceVersion = '99';
    const seen: string[] = [];
    await records.update('1', (r) => {
      seen.push(r!.status);
      return { ...r!, workflow: 'changed' };
    });
    expect(seen).toEqual(['succeeded', 'failed']);
    expect(JSON.parse(maps.get('eci-job-record-1')!.data!['record.json']!)).toMatchObject({
      status: 'failed',
      workflow: 'changed',
    });
    expect(reads() - afterCreate).toBe(1);
  });

  it('throws Conflict when it keeps losing, and what the API server said otherwise', async () => {
    const { records, onReplace, maps } = setup();
    await records.update('1', () => record('1'));
    let other = 0; // another writer gets in before each of our replaces
    onReplace((name) => void (maps.get(name)!.metadata!.resourceVersion = `other-${++other}`));
    await expect(records.update('1', (r) => r && { ...r, status: 'running' })).rejects.toBeInstanceOf(Conflict);
    expect(other).toBe(5);
    onReplace(() => {
      throw apiError(500);
    });
    await expect(records.update('1', (r) => r && { ...r, status: 'running' })).rejects.toMatchObject({ code: 500 });
  });

  it('prunes expired records, logs a failed delete with the job id, and counts what it deleted', async () => {
    const { records, maps, failDeletes, lines } = setup();
    for (const id of ['1', '2', '3']) await records.update(id, () => record(id));
    await records.update('4', () => record('4', { queuedAt: '2026-12-10T00:00:00.000Z' }));
    failDeletes((name) => (name === 'eci-job-record-2' ? 403 : name === 'eci-job-record-3' ? 404 : undefined));
    expect(await records.prune(Date.parse('2026-12-20T00:00:00Z'))).toBe(1);
    expect([...maps.keys()].sort()).toEqual(['eci-job-record-2', 'eci-job-record-3', 'eci-job-record-4']);
    expect(lines).toEqual([
      expect.objectContaining({ level: 'warn', msg: 'could not delete an expired job record', job: '2' }),
    ]);
  });
});
