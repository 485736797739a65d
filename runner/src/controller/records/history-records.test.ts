import { afterEach, describe, expect, it } from '@jest/globals';
import type { StoredJob } from './stored-job.js';
import { HistoryRecords, type WriteAhead } from './history-records.js';
import { SqlJobHistory } from '../history/sql-job-history.js';
import { SqliteDriver } from '../history/sqlite-driver.js';
import type { JobHistoryStore } from '../history/job-history-store.js';
import type { Logger } from '../../observability/logger.js';

const quiet: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => quiet,
} as unknown as Logger;

const record = (id: string, status: StoredJob['status'] = 'queued'): StoredJob => ({
  id,
  runId: '9',
  runAttempt: 1,
  repo: 'acme/app',
  workflow: 'ci',
  job: 'build',
  htmlUrl: `https://github.com/acme/app/actions/runs/9/job/${id}`,
  labels: ['eci-virtual'],
  status,
  resources: { cpu: '1', memory: '2Gi' },
  images: [],
  imageCache: { used: false, images: [] },
  queuedAt: '2026-11-20T10:00:00.000Z',
  events: [],
});

/** ConfigMaps as a map (the write-ahead's contract: job-records.ts). */
class MemoryWriteAhead implements WriteAhead {
  readonly data = new Map<string, StoredJob>();
  async get(id: string) {
    return this.data.get(id);
  }
  async list(repo: string) {
    return [...this.data.values()].filter((r) => r.repo === repo);
  }
  async listAll() {
    return [...this.data.values()];
  }
  async update(id: string, change: (c: StoredJob | undefined) => StoredJob | undefined) {
    const next = change(this.data.get(id));
    if (next) this.data.set(id, next);
  }
  async delete(id: string) {
    this.data.delete(id);
  }
  async prune() {
    return 0;
  }
}

/** The real SQLite store, made to refuse every call while `down` is set. */
async function flakyHistory() {
  const real = await SqlJobHistory.open(SqliteDriver.open(':memory:'), { vcpuSecondUsd: 1e-5, gibSecondUsd: 1e-6 });
  const state = { down: false };
  const guard =
    <A extends unknown[], R>(f: (...a: A) => Promise<R>) =>
    (...a: A): Promise<R> =>
      state.down ? Promise.reject(new Error('connection refused')) : f(...a);
  const history: JobHistoryStore = {
    dialect: real.dialect,
    put: guard((j) => real.put(j)),
    putMany: guard((j) => real.putMany(j)),
    get: guard((id) => real.get(id)),
    page: guard((q) => real.page(q)),
    aggregates: guard((q) => real.aggregates(q)),
    recent: guard((r, s) => real.recent(r, s)),
    imageUses: guard((s, l) => real.imageUses(s, l)),
    putDecisions: guard((r) => real.putDecisions(r)),
    decisions: guard((r, l) => real.decisions(r, l)),
    prune: guard((b) => real.prune(b)),
    close: () => real.close(),
  };
  return { history, state, real };
}

describe('job records in the history database', () => {
  let stores: HistoryRecords[] = [];
  afterEach(() => {
    for (const s of stores) s.stop();
    stores = [];
  });
  const make = (history: JobHistoryStore, ahead: WriteAhead) => {
    const s = new HistoryRecords(history, ahead, 90, quiet);
    stores.push(s);
    return s;
  };

  it('writes to the database and leaves no ConfigMap behind', async () => {
    const { history, real } = await flakyHistory();
    const ahead = new MemoryWriteAhead();
    const records = make(history, ahead);
    await records.update('1', () => record('1'));
    await records.update('1', (c) => ({ ...c!, status: 'running' }));
    expect((await real.get('1'))?.status).toBe('running');
    expect(ahead.data.size).toBe(0);
  });

  it("as the term's sole writer, changes a record it wrote without reading the row back; a reader reads every time", async () => {
    const { history, real } = await flakyHistory();
    let reads = 0;
    const counting: JobHistoryStore = { ...history, get: (id) => (reads++, history.get(id)) };
    const writer = new HistoryRecords(counting, new MemoryWriteAhead(), 90, quiet, true);
    stores.push(writer);
    await writer.update('20', () => record('20'));
    expect(reads).toBe(1); // a job it has not written yet is read from the database
    await writer.update('20', (c) => ({ ...c!, status: 'running' }));
    expect((await writer.get('20'))?.status).toBe('running');
    expect(reads).toBe(1);
    expect((await real.get('20'))?.status).toBe('running');
    // A store that is not the only writer (a replica's portal) sees what others wrote.
    const reader = make(counting, new MemoryWriteAhead());
    await real.put({ ...record('20'), status: 'succeeded' });
    expect((await reader.get('20'))?.status).toBe('succeeded');
    expect(reads).toBe(2);
  });

  it('keeps a write the database refuses in a ConfigMap, reads it from there, and moves it in when it is back', async () => {
    const { history, state, real } = await flakyHistory();
    const ahead = new MemoryWriteAhead();
    const records = make(history, ahead);
    await records.update('2', () => record('2'));
    state.down = true; // the record of job 2 is known from the write above
    await records.update('2', (c) => ({ ...c!, status: 'running' }));
    expect(ahead.data.get('2')?.status).toBe('running');
    // The newer record is the spilled one, also for the next change.
    await records.update('2', (c) => ({ ...c!, status: c!.status === 'running' ? 'succeeded' : 'failed' }));
    expect((await records.get('2'))?.status).toBe('succeeded');
    state.down = false;
    await records.drain();
    expect((await real.get('2'))?.status).toBe('succeeded');
    expect(ahead.data.size).toBe(0);
  });

  it('drains what an earlier leader spilled, which is newer than the row', async () => {
    const { history, real } = await flakyHistory();
    await real.put(record('3', 'pending'));
    const ahead = new MemoryWriteAhead();
    ahead.data.set('3', record('3', 'running'));
    const records = make(history, ahead);
    expect((await records.get('3'))?.status).toBe('pending'); // not yet known as spilled
    await records.drain();
    expect((await real.get('3'))?.status).toBe('running');
    expect(ahead.data.size).toBe(0);
  });

  it('applies the changes of one job in order, each on the result of the one before', async () => {
    const { history, real } = await flakyHistory();
    const records = make(history, new MemoryWriteAhead());
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        records.update('4', (c) => ({ ...(c ?? record('4')), runAttempt: (c?.runAttempt ?? 0) + 1, job: `step ${i}` })),
      ),
    );
    expect(await real.get('4')).toMatchObject({ runAttempt: 20, job: 'step 19' });
  });

  it('changes a job it never saw from nothing while the database is away, and lays that over the row later', async () => {
    const { history, state, real } = await flakyHistory();
    await real.put({ ...record('6', 'running'), podCreatedAt: '2026-11-20T10:00:05.000Z' });
    const records = make(history, new MemoryWriteAhead());
    state.down = true;
    await records.update('6', (c) => c ?? { ...record('6', 'queued'), job: 'renamed' });
    state.down = false;
    await records.drain();
    // The row's milestone stays and the blind record's change lands.
    expect(await real.get('6')).toMatchObject({ job: 'renamed', podCreatedAt: '2026-11-20T10:00:05.000Z' });
  });

  it('does not undo a finished outcome with a record written blind', async () => {
    const { history, state, real } = await flakyHistory();
    await real.put({ ...record('7', 'succeeded'), conclusion: 'success', finishedAt: '2026-11-20T10:05:00.000Z' });
    const records = make(history, new MemoryWriteAhead());
    state.down = true;
    await records.update('7', (c) => c ?? record('7', 'queued'));
    state.down = false;
    await records.drain();
    expect(await real.get('7')).toMatchObject({ status: 'succeeded', conclusion: 'success' });
  });

  it('reads from the ConfigMap when the database is away', async () => {
    const { history, state } = await flakyHistory();
    const ahead = new MemoryWriteAhead();
    ahead.data.set('5', record('5', 'running'));
    const records = make(history, ahead);
    state.down = true;
    expect((await records.get('5'))?.status).toBe('running');
  });
});
