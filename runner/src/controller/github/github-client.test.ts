/**
 * The GitHub client against the GitHub emulator (runner/test/github-emulator, whose answers are checked against
 * GitHub's published OpenAPI descriptions): rate limits mapped as GitHub's docs describe them, App login, and the
 * reconcile listing of queued jobs.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createAppKeyPair } from '../../../test/github-emulator/app-key.js';
import { GitHubEmulator, type QueueJobInput } from '../../../test/github-emulator/server.js';
import { Forbidden, Throttled } from '@eci-virtual/contract';
import { createLogger } from '../../observability/logger.js';
import { GitHubClient } from './github-client.js';
import { rateLimitOf } from './rate-limits.js';

/** Every queued job of `repo`: its active runs, then each run's queued jobs (what a poll round without a cap reads). */
async function queuedJobs(gh: GitHubClient, repo: string) {
  const jobs = [];
  for (const runId of await gh.listActiveRunIds(repo)) jobs.push(...(await gh.listQueuedJobsOfRun(repo, runId)));
  return jobs;
}

const REPO = 'octo-org/hello';
const TOKEN = 'ghp_unitTestToken';
const log = createLogger({ component: 'test' }, { level: 'error', write: () => undefined });

describe('GitHub client against the emulator', () => {
  const emulator = new GitHubEmulator({ token: TOKEN, webhookSecret: 's', runnerHost: '127.0.0.1', host: '127.0.0.1' });
  const keys = createAppKeyPair();
  beforeAll(async () => {
    await emulator.start();
    emulator.registerApp({
      appId: 9001,
      publicKey: keys.publicKey,
      installation: { id: 4321, account: 'octo-org', accountType: 'Organization' },
    });
  });
  afterAll(() => emulator.stop());

  const client = (over: Partial<ConstructorParameters<typeof GitHubClient>[0]> = {}) =>
    new GitHubClient({ apiUrl: emulator.url, auth: { kind: 'token', token: TOKEN }, log, retries: 2, ...over });
  const queue = (extra: Partial<QueueJobInput> = {}) =>
    emulator.queueJob({
      repo: REPO,
      workflowPath: '.github/workflows/ci.yml',
      workflowText: 'jobs: {}',
      name: 'build',
      labels: ['self-hosted', 'eci-virtual'],
      message: { steps: [] },
      webhook: false,
      ...extra,
    });
  const requestsTo = (re: RegExp) => emulator.requests.filter((r) => re.test(r.path)).length;
  const timed = async <T>(f: () => Promise<T>): Promise<[T | unknown, number]> => {
    const t0 = performance.now();
    const r = await f().catch((err: unknown) => err);
    return [r, performance.now() - t0];
  };

  describe('rate limits', () => {
    it('reports an exhausted primary limit (403, reset 50 min away) as Throttled naming the reset, at once', async () => {
      const gh = client();
      emulator.inject({ kind: 'rateLimit', status: 403, resetInSeconds: 3000 }, 1, /\/actions\/runners$/);
      const before = requestsTo(/\/actions\/runners/);
      const [err, ms] = await timed(() => gh.listRunners({ kind: 'repo', repo: REPO }));
      expect(err).toBeInstanceOf(Throttled);
      expect((err as Error).message).toMatch(
        /rate limit exhausted; it resets at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(in 50 min\)/,
      );
      expect(ms).toBeLessThan(2000);
      expect(requestsTo(/\/actions\/runners/) - before).toBe(1);
      // Until the reset, nothing more is sent to GitHub.
      const calls = emulator.requests.length;
      const again = await gh.listRunners({ kind: 'repo', repo: REPO }).catch((e: unknown) => e);
      expect(again).toBeInstanceOf(Throttled);
      expect((again as Error).message).toMatch(/not calling GitHub before then/);
      expect(emulator.requests.length).toBe(calls);
    });

    it('does the same for 429, without the retry plugin calling again', async () => {
      const gh = client();
      emulator.inject({ kind: 'rateLimit', status: 429, resetInSeconds: 3500 }, 1, /\/contents\//);
      const before = requestsTo(/\/contents\//);
      const [err, ms] = await timed(() => gh.getFileText(REPO, '.github/x.yml', 'main'));
      expect(err).toBeInstanceOf(Throttled);
      expect((err as Error).message).toMatch(/in 58 min/);
      expect(ms).toBeLessThan(2000);
      expect(requestsTo(/\/contents\//) - before).toBe(1);
    });

    it('waits a short primary reset out and carries on', async () => {
      const gh = client();
      emulator.inject({ kind: 'rateLimit', status: 403, resetInSeconds: 1 }, 1, /\/actions\/runners$/);
      await expect(gh.listRunners({ kind: 'repo', repo: REPO })).resolves.toEqual(expect.any(Array));
    });

    it('retries a secondary limit after retry-after; a long retry-after fails at once', async () => {
      const gh = client();
      emulator.inject({ kind: 'secondaryRateLimit', status: 403, retryAfterSeconds: 1 }, 1, /\/actions\/runners$/);
      await expect(gh.listRunners({ kind: 'repo', repo: REPO })).resolves.toEqual(expect.any(Array));
      emulator.inject({ kind: 'secondaryRateLimit', status: 429, retryAfterSeconds: 900 }, 1, /\/actions\/runners$/);
      const [err, ms] = await timed(() => gh.listRunners({ kind: 'repo', repo: REPO }));
      expect(err).toBeInstanceOf(Throttled);
      expect((err as Error).message).toMatch(/secondary rate limit hit; retry after 15 min/);
      expect(ms).toBeLessThan(2000);
    });

    it('reports a budget used up by others as Throttled, and a missing permission as Forbidden', async () => {
      const narrow = new GitHubEmulator({
        webhookSecret: 's',
        runnerHost: '127.0.0.1',
        host: '127.0.0.1',
        token: TOKEN,
        rateLimitStatus: 429,
      });
      await narrow.start();
      try {
        narrow.registerApp({
          appId: 77,
          publicKey: keys.publicKey,
          installation: { id: 78, account: 'octo-org', permissions: { actions: 'read', contents: 'read' } },
        });
        const app = new GitHubClient({
          apiUrl: narrow.url,
          auth: { kind: 'app', appId: '77', installationId: '78', privateKey: keys.privateKey },
          log,
        });
        const denied = await app.listRunners({ kind: 'repo', repo: REPO }).catch((e: unknown) => e);
        expect(denied).toBeInstanceOf(Forbidden);
        expect((denied as Forbidden).hint).toMatch(/needs administration=read/);
        narrow.exhaustRateLimit(1800);
        const limited = await queuedJobs(app, REPO).catch((e: unknown) => e);
        expect(limited).toBeInstanceOf(Throttled);
        expect((limited as Error).message).toMatch(/^list queued jobs of octo-org\/hello: .*in 30 min/);
      } finally {
        await narrow.stop();
      }
    });

    it('reads GitHub’s rate-limit answers as the docs describe them', () => {
      const res = (status: number, headers: Record<string, string>, message = 'x') => ({
        status,
        message,
        response: { headers },
      });
      expect(rateLimitOf(res(403, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '2000000000' }))).toEqual({
        kind: 'primary',
        resetAt: 2000000000,
      });
      expect(rateLimitOf(res(403, { 'retry-after': '60' }, 'You have exceeded a secondary rate limit'))).toEqual({
        kind: 'secondary',
        retryAfter: 60,
      });
      expect(rateLimitOf(res(429, {}))).toEqual({ kind: 'secondary' });
      expect(rateLimitOf(res(403, { 'x-ratelimit-remaining': '4999' }, 'Resource not accessible by integration'))).toBe(
        undefined,
      );
      expect(rateLimitOf(res(404, { 'x-ratelimit-remaining': '0' }))).toBe(undefined);
    });
  });

  it('logs in as a GitHub App: the JWT buys an installation token, which then authenticates every call', async () => {
    const before = emulator.requests.length;
    const gh = new GitHubClient({
      apiUrl: emulator.url,
      auth: { kind: 'app', appId: '9001', installationId: '4321', privateKey: keys.privateKey },
      log,
    });
    await gh.listRunners({ kind: 'org', org: 'octo-org' });
    await queuedJobs(gh, REPO);
    const mine = emulator.requests.slice(before);
    expect(mine[0]).toMatchObject({
      method: 'POST',
      path: '/app/installations/4321/access_tokens',
      status: 201,
      auth: 'app',
    });
    expect(mine.slice(1).every((r) => r.auth === 'installation' && r.status === 200)).toBe(true);
    expect(mine.filter((r) => r.path.includes('access_tokens'))).toHaveLength(1);
  });

  describe('reconcile', () => {
    it('finds a queued job of a run already in progress whose webhook was lost, and no waiting job', async () => {
      const first = await queue({ name: 'build', runJobs: 2, webhook: true });
      await emulator.startJob(first.id);
      const lost = await queue({ name: 'test', runId: first.run_id, webhook: false });
      const held = await queue({ name: 'deploy', environmentApproval: true });
      const plain = await queue({ name: 'lint' });
      const before = emulator.requests.length;
      const ids = (await queuedJobs(client(), REPO)).map((j) => j.id);
      expect(ids).toContain(lost.id);
      expect(ids).toContain(plain.id);
      expect(ids).not.toContain(first.id);
      expect(ids).not.toContain(held.id);
      const listRuns = emulator.requests.slice(before).filter((r) => /\/actions\/runs\?/.test(r.path));
      expect(listRuns.map((r) => new URL(r.path, 'http://x').searchParams.get('status'))).toEqual([
        'queued',
        'in_progress',
      ]);
      for (const j of [first, lost, plain]) await emulator.finishJob(j.id, 'cancelled', { webhook: false });
      await emulator.cancel(held.id, { webhook: false });
    });

    it('asks again conditionally: an unchanged round is all 304s and costs no rate limit', async () => {
      const a = await queue({ name: 'a', runJobs: 2 });
      await emulator.startJob(a.id);
      const b = await queue({ name: 'b', runId: a.run_id });
      const gh = client();
      const first = emulator.requests.length;
      expect((await queuedJobs(gh, REPO)).map((j) => j.id)).toEqual([b.id]);
      const firstRound = emulator.requests.slice(first);
      const used = emulator.rateLimitUsed();
      const second = emulator.requests.length;
      expect((await queuedJobs(gh, REPO)).map((j) => j.id)).toEqual([b.id]);
      const secondRound = emulator.requests.slice(second);
      expect(secondRound.map((r) => r.path)).toEqual(firstRound.map((r) => r.path));
      expect(secondRound.every((r) => r.status === 304)).toBe(true);
      expect(emulator.rateLimitUsed()).toBe(used);
      // A change is seen at once: the job starts, the jobs page changes, its ETag no longer matches.
      await emulator.startJob(b.id);
      expect(await queuedJobs(gh, REPO)).toEqual([]);
      for (const j of [a, b]) await emulator.finishJob(j.id, 'cancelled', { webhook: false });
    });

    it('pages through more than 100 queued runs', async () => {
      const jobs = [];
      for (let i = 0; i < 105; i++) jobs.push(await queue({ name: `m${i}` }));
      const found = new Set((await queuedJobs(client(), REPO)).map((j) => j.id));
      expect(jobs.every((j) => found.has(j.id))).toBe(true);
      for (const j of jobs) await emulator.finishJob(j.id, 'cancelled', { webhook: false });
    });
  });
});

describe('GitHub client concurrency', () => {
  /** A server that holds every call 50 ms and records how many were in flight at most. */
  async function slowServer() {
    const { createServer } = await import('node:http');
    let inFlight = 0;
    let peak = 0;
    const server = createServer((_req, res) => {
      peak = Math.max(peak, ++inFlight);
      setTimeout(() => {
        inFlight--;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      }, 50);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    return { url: `http://127.0.0.1:${port}`, peak: () => peak, close: () => new Promise((r) => server.close(r)) };
  }

  const burst = (gh: GitHubClient, n: number) =>
    Promise.all(
      Array.from({ length: n }, (_, i) =>
        gh.octokit.request('GET /repos/{owner}/{repo}', { owner: 'o', repo: `r${i}` }),
      ),
    );

  it('keeps more than the plugin default of 10 reads in flight, up to its limit', async () => {
    const s = await slowServer();
    try {
      await burst(new GitHubClient({ apiUrl: s.url, auth: { kind: 'token', token: TOKEN }, log }), 40);
      expect(s.peak()).toBeGreaterThan(10);
      const limited = await slowServer();
      await burst(
        new GitHubClient({ apiUrl: limited.url, auth: { kind: 'token', token: TOKEN }, log, maxConcurrentRequests: 4 }),
        20,
      );
      expect(limited.peak()).toBe(4);
      await limited.close();
    } finally {
      await s.close();
    }
  });
});
