import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AggregatesResponse, AutopilotResponse, JobsResponse } from '@eci-virtual/contract';
import { DecisionLog } from '../image-cache-autopilot/decision-log.js';
import { parseControllerConfig } from '../config.js';
import type { GitHubClient } from '../github/github-client.js';
import type { JobHistoryStore } from '../history/job-history-store.js';
import { SqlJobHistory } from '../history/sql-job-history.js';
import { SqliteDriver } from '../history/sqlite-driver.js';
import type { StoredJob } from '../records/stored-job.js';
import type { Logger } from '../../observability/logger.js';
import { PortalApi } from './routes.js';

const TOKEN = 'portal-token-1';
const REPO = 'acme/app';
const config = parseControllerConfig(
  { scope: { repositories: [REPO] }, prices: { vcpuSecondUsd: 0.00001, gibSecondUsd: 0.000001 } },
  { GITHUB_TOKEN: 't', ECI_VIRTUAL_WEBHOOK_SECRET: 's', ECI_VIRTUAL_PORTAL_TOKEN: TOKEN },
);
const log = { debug() {}, info() {}, warn() {}, error() {}, child: () => log } as unknown as Logger;
const DAY = 86_400_000;
const now = Date.now();
const iso = (t: number) => new Date(t).toISOString();

const job = (id: number, at: number, over: Partial<StoredJob> = {}): StoredJob => ({
  id: String(id),
  runId: '1',
  runAttempt: 1,
  repo: REPO,
  workflow: 'ci',
  job: 'build',
  htmlUrl: `https://github.com/${REPO}/actions/runs/1/job/${id}`,
  labels: ['eci-virtual'],
  status: 'succeeded',
  conclusion: 'success',
  resources: { cpu: '1', memory: '2Gi' },
  images: [],
  imageCache: { used: false, images: [] },
  queuedAt: iso(at),
  podCreatedAt: iso(at + 1_000),
  runningAt: iso(at + 3_000),
  finishedAt: iso(at + 61_000),
  node: { name: 'eci-virtual', type: 'virtual' },
  events: [],
  ...over,
});

describe('portal API over the job history', () => {
  let history: JobHistoryStore;
  let api: PortalApi;
  const get = async <T>(path: string, q: Record<string, string> = {}) => {
    const r = await api.handle(path, new URLSearchParams({ repo: REPO, ...q }), `Bearer ${TOKEN}`);
    return { status: r.status, body: r.body as T };
  };

  beforeAll(async () => {
    history = await SqlJobHistory.open(SqliteDriver.open(':memory:'), config.prices);
    // 12 jobs over the last 12 days, one failed; one running job today; one job of another repository.
    for (let i = 0; i < 12; i++)
      await history.put(job(i + 1, now - i * DAY - 60_000, i === 3 ? { status: 'failed' } : {}));
    const running = job(100, now - 30_000, { status: 'running' });
    delete (running as Partial<StoredJob>).finishedAt;
    await history.put(running);
    await history.put(job(200, now - DAY, { repo: 'acme/other' }));
    api = new PortalApi({
      config,
      records: { get: async () => undefined, list: async () => [] },
      history,
      github: {} as GitHubClient,
      log,
    });
  });
  afterAll(() => history.close());

  it('pages newest first and hands out `next` until the last page', async () => {
    const first = await get<JobsResponse>('/v1/jobs', { limit: '5' });
    expect(first.status).toBe(200);
    expect(first.body.jobs.map((j) => j.id)).toEqual(['100', '1', '2', '3', '4']);
    const ids = [...first.body.jobs.map((j) => j.id)];
    let next = first.body.next;
    while (next) {
      const page = await get<JobsResponse>('/v1/jobs', { limit: '5', after: next });
      ids.push(...page.body.jobs.map((j) => j.id));
      next = page.body.next;
    }
    expect(ids).toEqual(['100', ...Array.from({ length: 12 }, (_, i) => String(i + 1))]);
  });

  it('summarises the last 7 days and derives each job view from its record', async () => {
    const { body } = await get<JobsResponse>('/v1/jobs');
    expect(body.summary).toMatchObject({ jobs7d: 8, running: 1, p50QueuedToRunningMs: 3_000, virtualShare: 1 });
    expect(body.jobs.find((j) => j.id === '1')).toMatchObject({
      latency: { queuedToRunningMs: 3_000 },
      durationSeconds: 60,
    });
  });

  it('filters by status and refuses a status or cursor it does not know', async () => {
    const failed = await get<JobsResponse>('/v1/jobs', { status: 'failed,cancelled' });
    expect(failed.body.jobs.map((j) => j.id)).toEqual(['4']);
    expect((await get('/v1/jobs', { status: 'done' })).status).toBe(400);
    expect((await get('/v1/jobs', { after: 'x' })).status).toBe(400);
    expect((await get('/v1/jobs', { since: 'yesterday' })).status).toBe(400);
  });

  it('sums the last N UTC days per day of the repository and per repository', async () => {
    const { status, body } = await get<AggregatesResponse>('/v1/aggregates', { days: '3' });
    expect(status).toBe(200);
    expect(Date.parse(body.to) - Date.parse(body.from)).toBe(3 * DAY);
    expect(body.perDay.reduce((n, d) => n + d.jobs, 0)).toBe(
      [...Array(12).keys()].filter((i) => now - i * DAY - 60_000 >= Date.parse(body.from)).length + 1,
    );
    expect(body.perRepository.map((r) => r.repo).sort()).toEqual(['acme/app', 'acme/other']);
    expect((await get('/v1/aggregates', { days: '0' })).status).toBe(400);
  });

  it('gives cost and queue-time p50/p95 per repository and day, narrowed by `repository`', async () => {
    const { body } = await get<AggregatesResponse>('/v1/aggregates', { days: '3', repository: 'acme/other' });
    // acme/other's one job: pod +1 s → finished +61 s = 60 billed s of 1 vCPU + 2 GiB at 0.00001 + 2 × 0.000001
    // US$/s = 0.00072 US$; queued → running 3 s, so p50 = p95 = 3 s.
    expect(body.perRepositoryDay).toEqual([
      {
        repo: 'acme/other',
        day: iso(now - DAY).slice(0, 10),
        jobs: 1,
        billedSeconds: 60,
        costUsd: 0.00072,
        avgQueueMs: 3_000,
        queueP50Ms: 3_000,
        queueP95Ms: 3_000,
      },
    ]);
    const all = await get<AggregatesResponse>('/v1/aggregates', { days: '3' });
    expect([...new Set(all.body.perRepositoryDay.map((d) => d.repo))]).toEqual(['acme/app', 'acme/other']);
    // acme/app per day: the same figures as perDay (one repository), percentiles included.
    expect(all.body.perRepositoryDay.filter((d) => d.repo === REPO).map(({ repo: _, ...d }) => d)).toEqual(
      all.body.perDay,
    );
    expect(all.body.perDay.every((d) => d.queueP50Ms === 3_000 && d.queueP95Ms === 3_000)).toBe(true);
  });

  it('refuses aggregates query parameters it cannot read, saying which and why', async () => {
    for (const [q, message] of [
      [{ days: 'thirty' }, 'days must be a whole number of days in 1..366, got "thirty"'],
      [{ days: '1.5' }, 'days must be a whole number of days in 1..366, got "1.5"'],
      [{ days: '367' }, 'days must be a whole number of days in 1..366, got "367"'],
      [{ days: '' }, 'days must be a whole number of days in 1..366, got ""'],
      [{ repository: 'not-a-repo' }, 'repository must be owner/name, got "not-a-repo"'],
    ] as const) {
      const r = await get<{ error: { code: string; message: string } }>('/v1/aggregates', q);
      expect([r.status, r.body.error]).toEqual([400, { code: 'invalid_input', message }]);
    }
  });

  it('answers 503 for aggregates and lists ConfigMap records when no database is open', async () => {
    const bare = new PortalApi({
      config,
      records: { get: async () => undefined, list: async () => [job(7, now - 1_000)] },
      github: {} as GitHubClient,
      log,
    });
    const agg = await bare.handle('/v1/aggregates', new URLSearchParams({ repo: REPO }), `Bearer ${TOKEN}`);
    expect(agg.status).toBe(503);
    const jobs = await bare.handle('/v1/jobs', new URLSearchParams({ repo: REPO }), `Bearer ${TOKEN}`);
    expect((jobs.body as JobsResponse).jobs.map((j) => j.id)).toEqual(['7']);
  });

  it("answers the autopilot's decisions of the repository, newest first, with their reasons", async () => {
    const decisions = new DecisionLog();
    const at = Date.parse('2026-03-01T10:00:00Z');
    decisions.add({
      action: 'create',
      reason: 'hot: 4 uses, weight 120.04 ≥ 20',
      repo: REPO,
      name: 'eci-virtual-auto-1',
      images: ['node:20', 'runner:2'],
      weight: 120.04,
      at,
      pass: 1,
      outcome: 'done',
      createdId: 'imc-1',
    });
    decisions.add({
      action: 'retire',
      reason: 'cold',
      repo: 'acme/other',
      name: 'x',
      images: [],
      at,
      pass: 1,
      outcome: 'done',
    });
    for (const pass of [2, 3, 4])
      decisions.add({
        action: 'keep',
        reason: 'serves a hot set',
        repo: REPO,
        setId: 'imc-1',
        name: 'eci-virtual-auto-1',
        images: ['node:20', 'runner:2'],
        at: at + pass * 60_000,
        pass,
        outcome: 'noop',
      });
    const on = parseControllerConfig(
      {
        scope: { repositories: [REPO] },
        imageCacheAutopilot: { enabled: true, eci: { region: 'cn-hangzhou', vSwitchId: 'v', securityGroupId: 's' } },
      },
      { GITHUB_TOKEN: 't', ECI_VIRTUAL_WEBHOOK_SECRET: 's', ECI_VIRTUAL_PORTAL_TOKEN: TOKEN },
    );
    const withPilot = new PortalApi({
      config: on,
      records: { get: async () => undefined, list: async () => [] },
      github: {} as GitHubClient,
      log,
      autopilot: { list: async (repo) => decisions.list({ repo }).reverse(), isLeader: () => true },
    });
    const r = await withPilot.handle(
      '/v1/image-cache/autopilot',
      new URLSearchParams({ repo: REPO }),
      `Bearer ${TOKEN}`,
    );
    expect(r.status).toBe(200);
    const body = r.body as AutopilotResponse;
    expect(body).toMatchObject({
      repo: REPO,
      enabled: true,
      backend: 'eci',
      leader: true,
      intervalSeconds: 600,
      budget: { maxSets: 10, maxTotalGiB: 200 },
    });
    expect(body.decisions).toEqual([
      {
        at: iso(at + 120_000),
        pass: 2,
        action: 'keep',
        outcome: 'noop',
        reason: 'serves a hot set',
        name: 'eci-virtual-auto-1',
        images: ['node:20', 'runner:2'],
        setId: 'imc-1',
        lastAt: iso(at + 240_000),
        repeats: 2,
      },
      {
        at: iso(at),
        pass: 1,
        action: 'create',
        outcome: 'done',
        reason: 'hot: 4 uses, weight 120.04 ≥ 20',
        name: 'eci-virtual-auto-1',
        images: ['node:20', 'runner:2'],
        createdId: 'imc-1',
        weight: 120,
      },
    ]);
    // Off: says so, with no decisions; the token is still required.
    const off = await api.handle('/v1/image-cache/autopilot', new URLSearchParams({ repo: REPO }), `Bearer ${TOKEN}`);
    expect(off.body).toMatchObject({ enabled: false, leader: false, decisions: [] });
    expect(
      (await api.handle('/v1/image-cache/autopilot', new URLSearchParams({ repo: REPO }), 'Bearer no')).status,
    ).toBe(401);
  });
});
