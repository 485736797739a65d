/**
 * "Re-run a job from a workflow run" in the emulator (POST /repos/{owner}/{repo}/actions/jobs/{job_id}/rerun,
 * `@octokit/openapi-types` operation `actions/re-run-job-for-workflow-run`): 201 with an empty object; the job runs
 * again as the run's next attempt (a new job id, `run_attempt` + 1, queued, `workflow_job.queued` sent); 403 while
 * the run is in progress; a GitHub App installation needs `actions: write`.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { createAppKeyPair, signJwt } from './app-key.js';
import { GitHubEmulator } from './server.js';

const REPO = 'acme/app';
const TOKEN = 'ghp_rerunTest';
const emulators: GitHubEmulator[] = [];
afterEach(async () => {
  for (const e of emulators.splice(0)) await e.stop();
});

async function start(): Promise<GitHubEmulator> {
  const e = new GitHubEmulator({ token: TOKEN, webhookSecret: 's', runnerHost: '127.0.0.1', host: '127.0.0.1' });
  await e.start();
  emulators.push(e);
  return e;
}

const queue = (e: GitHubEmulator) =>
  e.queueJob({
    repo: REPO,
    workflowPath: '.github/workflows/ci.yml',
    workflowText: 'on: push',
    name: 'build',
    labels: ['self-hosted', 'eci-virtual'],
    message: { steps: [] },
  });

const rerun = (e: GitHubEmulator, jobId: number, token = `token ${TOKEN}`) =>
  fetch(`${e.url}/repos/${REPO}/actions/jobs/${jobId}/rerun`, { method: 'POST', headers: { authorization: token } });

describe('re-running a job', () => {
  it('queues the next attempt as a new job, once the run has completed', async () => {
    const e = await start();
    const first = await queue(e);
    expect((await rerun(e, first.id)).status).toBe(403); // the run is still in progress
    e.state.jobs.get(first.id)!.status = 'in_progress';
    await e.runnerLost(first.id);
    expect(e.state.jobs.get(first.id)).toMatchObject({ status: 'completed', conclusion: 'failure' });
    const res = await rerun(e, first.id);
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({});
    expect(e.reruns).toHaveLength(1);
    const second = e.state.jobs.get(e.reruns[0]!.newJobId)!;
    expect(second).toMatchObject({ run_id: first.run_id, run_attempt: 2, name: 'build', status: 'queued' });
    expect(second.id).not.toBe(first.id);
    expect(second.html_url).toMatch(new RegExp(`/job/${second.id}$`));
    const queued = e.webhooks.deliveries.filter((d) => d.event === 'workflow_job');
    expect(JSON.parse(queued.at(-1)!.body)).toMatchObject({
      action: 'queued',
      workflow_job: { id: second.id, run_attempt: 2 },
    });
    // The latest attempt is what the run lists; `filter=all` lists both.
    const list = async (filter: string) => {
      const r = await fetch(`${e.url}/repos/${REPO}/actions/runs/${first.run_id}/jobs?filter=${filter}`, {
        headers: { authorization: `token ${TOKEN}` },
      });
      return ((await r.json()) as { jobs: { id: number }[] }).jobs.map((j) => j.id);
    };
    expect(await list('latest')).toEqual([second.id]);
    expect(await list('all')).toEqual([first.id, second.id]);
    // The earlier attempt cannot be re-run again, nor the new one while it runs.
    expect((await rerun(e, first.id)).status).toBe(403);
    expect((await rerun(e, second.id)).status).toBe(403);
    expect((await rerun(e, 999_999_999)).status).toBe(404);
  });

  it('needs actions: write from a GitHub App installation', async () => {
    const e = await start();
    const keys = createAppKeyPair();
    e.registerApp({
      appId: 4242,
      publicKey: keys.publicKey,
      installation: { id: 77, account: 'acme', permissions: { actions: 'read', metadata: 'read' } },
    });
    const job = await queue(e);
    e.state.jobs.get(job.id)!.status = 'in_progress';
    await e.runnerLost(job.id);
    const now = Math.floor(Date.now() / 1000);
    const jwt = signJwt(keys.privateKey, { iat: now - 60, exp: now + 540, iss: 4242 });
    const tokenRes = await fetch(`${e.url}/app/installations/77/access_tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${jwt}` },
    });
    const { token } = (await tokenRes.json()) as { token: string };
    const res = await rerun(e, job.id, `token ${token}`);
    expect(res.status).toBe(403);
    expect(res.headers.get('x-accepted-github-permissions')).toBe('actions=write');
  });
});
