/**
 * The emulator's answers and webhooks against GitHub's own published descriptions (see openapi.ts): every
 * `workflow_job` payload (queued, waiting, in_progress, completed with each conclusion) with its delivery headers,
 * and every REST answer of the routes the controller uses, errors and rate limits included. Zero schema errors.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createAppKeyPair, signJwt } from './app-key.js';
import { describeErrors, githubSchemas } from './openapi.js';
import { GitHubEmulator } from './server.js';
import type { JobConclusion } from './state.js';

const SECRET = 'hook-secret';
const APP_ID = 424242;
const INSTALLATION = 777001;
const REPO = 'octo-org/hello';
const keys = createAppKeyPair();

interface Call {
  method: string;
  template: string;
  status: number;
  body: unknown;
  headers: Headers;
}

describe('GitHub emulator vs GitHub’s published schemas', () => {
  const emulator = new GitHubEmulator({ webhookSecret: SECRET, runnerHost: '127.0.0.1', host: '127.0.0.1' });
  const received: { headers: IncomingHttpHeaders; body: Buffer }[] = [];
  let receiver: Server;
  const calls: Call[] = [];
  let token = '';
  const schemas = githubSchemas();

  async function call(method: string, template: string, path: string, body?: unknown, auth?: string): Promise<Call> {
    const res = await fetch(`${emulator.url}${path}`, {
      method,
      headers: {
        accept: 'application/vnd.github+json',
        authorization: auth ?? `token ${token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    const c = {
      method,
      template,
      status: res.status,
      body: text ? (JSON.parse(text) as unknown) : undefined,
      headers: res.headers,
    };
    calls.push(c);
    return c;
  }

  const jwt = (claims: Record<string, unknown> = {}) => {
    const now = Math.floor(Date.now() / 1000);
    return signJwt(keys.privateKey, { iat: now - 60, exp: now + 540, iss: APP_ID, ...claims });
  };

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks) });
        res.writeHead(202).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    await emulator.start();
    emulator.webhookUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/webhook`;
    emulator.addOrganization('octo-org');
    emulator.registerApp({
      appId: APP_ID,
      publicKey: keys.publicKey,
      installation: { id: INSTALLATION, account: 'octo-org', accountType: 'Organization' },
    });
  });

  afterAll(async () => {
    await emulator.stop();
    await new Promise((r) => receiver.close(r));
  });

  const queue = (name: string, extra: Partial<Parameters<GitHubEmulator['queueJob']>[0]> = {}) =>
    emulator.queueJob({
      repo: REPO,
      workflowPath: '.github/workflows/ci.yml',
      workflowText: 'on: push\njobs:\n  build:\n    runs-on: [self-hosted, eci-virtual]\n    steps: [{run: "true"}]\n',
      name,
      labels: ['self-hosted', 'eci-virtual'],
      message: { steps: [] },
      ...extra,
    });

  async function until<T>(f: () => T | undefined): Promise<T> {
    for (let i = 0; i < 200; i++) {
      const v = f();
      if (v !== undefined) return v;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error('timed out');
  }

  it('answers every route the controller uses, and every webhook, as GitHub describes them', async () => {
    // App login: JWT → installation token.
    const tok = await call(
      'POST',
      '/app/installations/{installation_id}/access_tokens',
      `/app/installations/${INSTALLATION}/access_tokens`,
      undefined,
      `Bearer ${jwt()}`,
    );
    expect(tok.status).toBe(201);
    token = (tok.body as { token: string }).token;
    await call(
      'POST',
      '/app/installations/{installation_id}/access_tokens',
      '/app/installations/1/access_tokens',
      undefined,
      `Bearer ${jwt()}`,
    );
    await call(
      'POST',
      '/app/installations/{installation_id}/access_tokens',
      `/app/installations/${INSTALLATION}/access_tokens`,
      { permissions: { administration: 'admin' } },
      `Bearer ${jwt()}`,
    );
    await call(
      'POST',
      '/app/installations/{installation_id}/access_tokens',
      `/app/installations/${INSTALLATION}/access_tokens`,
      undefined,
      `Bearer ${jwt({ exp: Math.floor(Date.now() / 1000) + 3600 })}`,
    );

    // Jobs through their lifecycle: queued; waiting → approved; started by a runner; completed.
    const a = await queue('build');
    const w = await queue('deploy', { environmentApproval: true });
    await emulator.approve(w.id);
    const jit = await call(
      'POST',
      '/repos/{owner}/{repo}/actions/runners/generate-jitconfig',
      `/repos/${REPO}/actions/runners/generate-jitconfig`,
      {
        name: 'eci-virtual-1',
        labels: ['eci-virtual'],
        runner_group_id: 1,
        work_folder: '_work',
      },
    );
    const idle = await call(
      'POST',
      '/orgs/{org}/actions/runners/generate-jitconfig',
      '/orgs/octo-org/actions/runners/generate-jitconfig',
      {
        name: 'eci-virtual-org-1',
        labels: ['eci-virtual'],
        runner_group_id: 1,
      },
    );
    await call(
      'POST',
      '/repos/{owner}/{repo}/actions/runners/generate-jitconfig',
      `/repos/${REPO}/actions/runners/generate-jitconfig`,
      {
        name: 'eci-virtual-1',
        labels: ['eci-virtual'],
        runner_group_id: 1,
      },
    );
    await call(
      'POST',
      '/repos/{owner}/{repo}/actions/runners/generate-jitconfig',
      `/repos/${REPO}/actions/runners/generate-jitconfig`,
      {
        name: 'x',
        labels: [],
      },
    );
    const runner = JSON.parse(
      Buffer.from((jit.body as { encoded_jit_config: string }).encoded_jit_config, 'base64').toString(),
    ) as { token: string; runnerId: number };
    const broker = (path: string, body: unknown = {}) =>
      fetch(`${emulator.url}/_runner${path}`, {
        method: 'POST',
        headers: { authorization: `RemoteAuth ${runner.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await broker('/acquire')).status).toBe(200);
    await until(() => emulator.webhooks.deliveries.find((d) => d.action === 'in_progress'));
    await call(
      'GET',
      '/repos/{owner}/{repo}/actions/runs',
      `/repos/${REPO}/actions/runs?status=in_progress&per_page=100`,
    );
    await call('GET', '/repos/{owner}/{repo}/actions/runs', `/repos/${REPO}/actions/runs?status=queued&per_page=100`);
    await call('GET', '/repos/{owner}/{repo}/actions/runs', `/repos/${REPO}/actions/runs?status=bogus`);
    await call('GET', '/repos/{owner}/{repo}/actions/runners', `/repos/${REPO}/actions/runners?per_page=100`);
    await call('GET', '/orgs/{org}/actions/runners', '/orgs/octo-org/actions/runners?per_page=100');
    await call(
      'DELETE',
      '/orgs/{org}/actions/runners/{runner_id}',
      `/orgs/octo-org/actions/runners/${(idle.body as { runner: { id: number } }).runner.id}`,
    );
    await call(
      'DELETE',
      '/repos/{owner}/{repo}/actions/runners/{runner_id}',
      `/repos/${REPO}/actions/runners/${runner.runnerId}`,
    );
    await call(
      'GET',
      '/repos/{owner}/{repo}/actions/runs/{run_id}/jobs',
      `/repos/${REPO}/actions/runs/${a.run_id}/jobs?filter=latest&per_page=100`,
    );
    await call('GET', '/repos/{owner}/{repo}/actions/jobs/{job_id}', `/repos/${REPO}/actions/jobs/${a.id}`);
    expect((await broker(`/jobs/${a.id}/steps`, { name: 'hello', exitCode: 0, log: 'hi' })).status).toBe(201);
    expect((await broker(`/jobs/${a.id}/complete`, { conclusion: 'success' })).status).toBe(200);
    await call('GET', '/repos/{owner}/{repo}/actions/jobs/{job_id}', `/repos/${REPO}/actions/jobs/${a.id}`);
    await call('GET', '/repos/{owner}/{repo}/actions/runs/{run_id}', `/repos/${REPO}/actions/runs/${a.run_id}`);
    await call('GET', '/repos/{owner}/{repo}/actions/runs', `/repos/${REPO}/actions/runs?status=completed`);
    await call('GET', '/repos/{owner}/{repo}/actions/jobs/{job_id}', `/repos/${REPO}/actions/jobs/999999`);
    // The "waiting" job was approved: a second runner takes it, then it is cancelled while it runs.
    const jit2 = await call(
      'POST',
      '/orgs/{org}/actions/runners/generate-jitconfig',
      '/orgs/octo-org/actions/runners/generate-jitconfig',
      {
        name: 'eci-virtual-org-2',
        labels: ['eci-virtual'],
        runner_group_id: 3,
      },
    );
    const r2 = JSON.parse(
      Buffer.from((jit2.body as { encoded_jit_config: string }).encoded_jit_config, 'base64').toString(),
    ) as {
      token: string;
    };
    await fetch(`${emulator.url}/_runner/acquire`, {
      method: 'POST',
      headers: { authorization: `RemoteAuth ${r2.token}` },
    });
    await until(() => (emulator.state.jobs.get(w.id)!.status === 'in_progress' ? true : undefined));
    await emulator.cancel(w.id);
    // Every other way a job ends.
    for (const c of ['failure', 'skipped', 'timed_out', 'neutral', 'action_required', 'cancelled'] as JobConclusion[]) {
      const j = await queue(`end-${c}`);
      await emulator.finishJob(j.id, c);
    }

    // Repository contents at a commit; a file that is not there.
    await call(
      'GET',
      '/repos/{owner}/{repo}/contents/{path}',
      `/repos/${REPO}/contents/.github%2Fworkflows%2Fci.yml?ref=${a.head_sha}`,
    );
    await call(
      'GET',
      '/repos/{owner}/{repo}/contents/{path}',
      `/repos/${REPO}/contents/.github%2Feci-virtual.yml?ref=${a.head_sha}`,
    );

    // Rate limits (primary 403/429, secondary with and without retry-after), permissions, bad credentials.
    emulator.inject({ kind: 'rateLimit', resetInSeconds: 3000 });
    emulator.inject({ kind: 'rateLimit', status: 429, resetInSeconds: 42 });
    emulator.inject({ kind: 'secondaryRateLimit', retryAfterSeconds: 60 });
    emulator.inject({ kind: 'secondaryRateLimit', status: 429, retryAfterSeconds: null });
    for (let i = 0; i < 4; i++)
      await call('GET', '/repos/{owner}/{repo}/actions/runs', `/repos/${REPO}/actions/runs?status=queued`);
    await call('GET', '/repos/{owner}/{repo}/actions/runs', `/repos/${REPO}/actions/runs`, undefined, 'token ghs_nope');
    await call('GET', '/repos/{owner}/{repo}/actions/runs', '/repos/someone-else/repo/actions/runs');
    const narrow = await call(
      'POST',
      '/app/installations/{installation_id}/access_tokens',
      `/app/installations/${INSTALLATION}/access_tokens`,
      { permissions: { contents: 'read' } },
      `Bearer ${jwt()}`,
    );
    const denied = await call(
      'GET',
      '/repos/{owner}/{repo}/actions/runners',
      `/repos/${REPO}/actions/runners`,
      undefined,
      `token ${(narrow.body as { token: string }).token}`,
    );
    expect([denied.status, denied.headers.get('x-accepted-github-permissions')]).toEqual([403, 'administration=read']);

    const problems: string[] = [];
    for (const c of calls) {
      const documented = schemas.documents(c.method, c.template, c.status);
      if (c.status === 204) {
        if (c.body !== undefined) problems.push(`${c.method} ${c.template} 204 has a body`);
        continue;
      }
      // Errors a route does not list (rate limits, 401, 404 on list routes) carry GitHub's `basic-error` body.
      const v = documented
        ? schemas.restResponse(c.method, c.template, c.status)
        : schemas.restComponent('basic-error');
      if (!documented && c.status < 400) problems.push(`${c.method} ${c.template} answered undocumented ${c.status}`);
      if (!v(c.body))
        problems.push(...describeErrors(v.errors, c.body).map((e) => `${c.method} ${c.template} ${c.status}: ${e}`));
    }
    const deliveries = emulator.webhooks.deliveries;
    for (const d of deliveries) {
      const hook = `workflow-job-${d.action.replace('_', '-')}`;
      const v = schemas.webhookPayload(hook);
      const payload = JSON.parse(d.body) as unknown;
      if (!v(payload)) problems.push(...describeErrors(v.errors, payload).map((e) => `${hook}: ${e}`));
      for (const h of schemas.webhookRequiredHeaders(hook))
        if (!d.headers[h]) problems.push(`${hook}: header ${h} missing`);
    }
    expect(problems).toEqual([]);

    // What was exercised: each action, each conclusion, each status answer.
    expect(new Set(deliveries.map((d) => d.action))).toEqual(
      new Set(['queued', 'waiting', 'in_progress', 'completed']),
    );
    expect(
      new Set(
        deliveries.map((d) => (JSON.parse(d.body) as { workflow_job: { conclusion: string } }).workflow_job.conclusion),
      ),
    ).toEqual(new Set([null, 'success', 'failure', 'cancelled', 'skipped', 'timed_out', 'neutral', 'action_required']));
    expect([...new Set(calls.map((c) => c.status))].sort()).toEqual(
      expect.arrayContaining([200, 201, 204, 401, 403, 404, 409, 422, 429]),
    );
  });

  it('catches what the emulator used to send (the schemas are not toothless)', () => {
    const stub = {
      action: 'queued',
      workflow_job: {
        id: 5,
        run_id: 6,
        name: 'j',
        head_sha: 'abc',
        labels: ['eci-virtual'],
        status: 'queued',
        started_at: null,
      },
      repository: { id: 1, name: 'r', full_name: 'o/r', owner: { login: 'o' } },
      sender: { login: 'octocat' },
    };
    const v = schemas.webhookPayload('workflow-job-queued');
    expect(v(stub)).toBe(false);
    const missing = describeErrors(v.errors, stub).join('\n');
    for (const f of ['run_url', 'node_id', 'check_run_url', 'runner_group_id', 'head_branch'])
      expect(missing).toContain(`'${f}'`);
    expect(missing).toMatch(/\/workflow_job\/started_at must be string/);
    expect(schemas.restComponent('job')({ ...stub.workflow_job, conclusion: 'bogus' })).toBe(false);
  });

  it('delivers like GitHub: App hook target headers, installation, signatures over the raw (form) body', async () => {
    received.length = 0;
    emulator.webhooks.contentType = 'form';
    try {
      await queue('form');
    } finally {
      emulator.webhooks.contentType = 'json';
    }
    const [r] = received;
    expect(r!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(r!.headers['x-github-hook-installation-target-type']).toBe('integration');
    expect(r!.headers['x-github-hook-installation-target-id']).toBe(String(APP_ID));
    expect(r!.headers['user-agent']).toMatch(/^GitHub-Hookshot\//);
    expect(r!.headers['x-hub-signature-256']).toBe(
      `sha256=${createHmac('sha256', SECRET).update(r!.body).digest('hex')}`,
    );
    const payload = JSON.parse(new URLSearchParams(r!.body.toString()).get('payload')!) as Record<string, unknown>;
    expect(schemas.webhookPayload('workflow-job-queued')(payload)).toBe(true);
    expect(payload.installation).toMatchObject({ id: INSTALLATION });
    expect(payload.organization).toMatchObject({ login: 'octo-org' });
  });

  it('sends headers the rate-limit docs describe', async () => {
    const ok = await call('GET', '/repos/{owner}/{repo}/actions/runs', `/repos/${REPO}/actions/runs`);
    const now = Math.floor(Date.now() / 1000);
    expect(Number(ok.headers.get('x-ratelimit-limit'))).toBeGreaterThan(0);
    expect(Number(ok.headers.get('x-ratelimit-reset'))).toBeGreaterThan(now);
    expect(Number(ok.headers.get('x-ratelimit-reset'))).toBeLessThanOrEqual(now + 3600);
    expect(ok.headers.get('x-ratelimit-resource')).toBe('core');
    emulator.inject({ kind: 'rateLimit', status: 429, resetInSeconds: 3500 });
    const limited = await call('GET', '/repos/{owner}/{repo}/actions/runs', `/repos/${REPO}/actions/runs`);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(Number(limited.headers.get('x-ratelimit-reset')) - now).toBeGreaterThan(3400);
    emulator.inject({ kind: 'secondaryRateLimit', retryAfterSeconds: 30 });
    const secondary = await call('GET', '/repos/{owner}/{repo}/actions/runs', `/repos/${REPO}/actions/runs`);
    expect([secondary.status, secondary.headers.get('retry-after')]).toEqual([403, '30']);
    expect((secondary.body as { message: string }).message).toMatch(/secondary rate limit/);
  });
});
