/**
 * "List workflow runs for a repository" as the emulator pages it: newest first, `total_count` counts every match,
 * each page holds its own slice and a `Link` to the next one until the last
 * (https://docs.github.com/rest/actions/workflow-runs#list-workflow-runs-for-a-repository, "Using pagination in the
 * REST API"). The emulator renders only the asked page, so this pins that the slices are still the right ones.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { queuePlainJobs } from './plain-jobs.js';
import { GitHubEmulator } from './server.js';

const REPO = 'acme/app';
const TOKEN = 'ghp_runListingTest';

describe('GitHub emulator: listing runs', () => {
  let e: GitHubEmulator;
  const runIds: number[] = [];

  beforeAll(async () => {
    e = new GitHubEmulator({ token: TOKEN, webhookSecret: 's', runnerHost: '127.0.0.1', host: '127.0.0.1' });
    await e.start();
    runIds.push(...(await queuePlainJobs(e, REPO, 5)).map((j) => j.run_id));
  });
  afterAll(async () => e.stop());

  async function list(query: string) {
    const res = await fetch(`${e.url}/repos/${REPO}/actions/runs?${query}`, {
      headers: { authorization: `token ${TOKEN}` },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { total_count: number; workflow_runs: { id: number; status: string }[] };
    return { ...body, link: res.headers.get('link') ?? '' };
  }

  it('gives each page its own newest-first slice, the whole count and a next link until the last page', async () => {
    const newest = [...runIds].sort((a, b) => b - a);
    const first = await list('status=queued&per_page=2&page=1');
    const second = await list('status=queued&per_page=2&page=2');
    const last = await list('status=queued&per_page=2&page=3');
    expect([first, second, last].map((p) => p.total_count)).toEqual([5, 5, 5]);
    expect(first.workflow_runs.map((r) => r.id)).toEqual(newest.slice(0, 2));
    expect(second.workflow_runs.map((r) => r.id)).toEqual(newest.slice(2, 4));
    expect(last.workflow_runs.map((r) => r.id)).toEqual(newest.slice(4));
    expect(first.workflow_runs.every((r) => r.status === 'queued')).toBe(true);
    expect(first.link).toMatch(/page=2>; rel="next"/);
    expect(last.link).toBe('');
    expect((await list('status=completed')).workflow_runs).toEqual([]);
  });
});
