/**
 * The controller against a GitHub that behaves like GitHub's published contract (the emulator's answers are
 * schema-checked in runner/test/github-emulator/schemas.test.ts): it logs in as a GitHub App (JWT → installation
 * token through @octokit/auth-app; the emulator accepts no PAT here), takes form-encoded webhooks, leaves a job
 * waiting for deployment approval alone until it is approved, and runs a `needs:` chain whose later webhooks are
 * all lost (queued, in_progress, completed), although its run is already in progress (issue #18).
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { LABEL } from '@eci-virtual/contract';
import type { KubeClients } from '../../src/kube/client.js';
import { ControllerStack, INSTALLATION_ID } from '../harness/controller-stack.js';
import { startTestNode, stopTestNode, type TestNode } from '../harness/test-node.js';
import { until } from '../harness/until.js';
import type { EmuJob, JobMessage } from '../github-emulator/state.js';

jest.setTimeout(300_000);

const REPO = 'octo-app/chain';
const WORKFLOW = `name: CI
on: push
jobs:
  build:
    runs-on: [self-hosted, eci-virtual]
    steps:
      - run: echo build
  test:
    needs: build
    runs-on: [self-hosted, eci-virtual]
    steps:
      - run: echo test
  check:
    needs: test
    runs-on: [self-hosted, eci-virtual]
    steps:
      - run: echo check
  deploy:
    runs-on: [self-hosted, eci-virtual]
    environment: production
    steps:
      - run: echo deploy
`;

describe('controller against a schema-true GitHub, as a GitHub App', () => {
  let t: TestNode | undefined;
  let stack: ControllerStack | undefined;
  let kube: KubeClients;

  beforeAll(async () => {
    t = await startTestNode('ghapp');
    kube = t.kube;
    stack = new ControllerStack({ repo: REPO, namespace: t.ns, nodeName: t.nodeName, githubAuth: 'app' });
    await stack.start();
  });

  afterAll(async () => {
    await stack?.stop();
    await stopTestNode(t);
  });

  const message = (text: string): Omit<JobMessage, 'jobId' | 'repo'> => ({
    steps: [{ kind: 'script', name: text, run: `echo ${text}` }],
  });
  const status = (job: EmuJob) => stack!.emulator.state.jobs.get(job.id)!.status;
  const pods = async (job: EmuJob) =>
    (await kube.core.listNamespacedPod({ namespace: t!.ns, labelSelector: `${LABEL.jobId}=${job.id}` })).items;

  it('logs in with the App (installation token on every call), takes form-encoded webhooks, and runs a needs: chain whose later webhooks are all lost', async () => {
    const emulator = stack!.emulator;
    emulator.webhooks.contentType = 'form';
    const build = await emulator.queueJob({
      repo: REPO,
      workflowPath: '.github/workflows/ci.yml',
      workflowText: WORKFLOW,
      name: 'build',
      labels: ['self-hosted', 'eci-virtual'],
      message: message('build'),
      runJobs: 3,
    });
    expect(emulator.webhooks.deliveries.at(-1)).toMatchObject({ action: 'queued', status: 202 });
    await until(async () => expect(status(build)).toBe('completed'), 120_000);
    expect(emulator.state.jobs.get(build.id)!.conclusion).toBe('success');
    // `test` needs `build`, `check` needs `test`: GitHub queues each in a run that is already in progress, and from
    // here on every webhook is lost (queued, in_progress, completed): only the poller finds them.
    const webhookUrl = emulator.webhookUrl;
    emulator.webhookUrl = undefined;
    try {
      for (const name of ['test', 'check']) {
        const next = await emulator.queueJob({
          repo: REPO,
          workflowPath: '.github/workflows/ci.yml',
          workflowText: WORKFLOW,
          name,
          labels: ['self-hosted', 'eci-virtual'],
          message: message(name),
          runId: build.run_id,
          webhook: false,
        });
        expect(emulator.state.runStatus(emulator.state.runOf(next))).toBe('in_progress');
        await until(async () => expect(status(next)).toBe('completed'), 120_000);
        expect(emulator.state.jobs.get(next.id)!.conclusion).toBe('success');
        if (name === 'check') expect(emulator.state.runStatus(emulator.state.runOf(next))).toBe('completed');
      }
    } finally {
      emulator.webhookUrl = webhookUrl;
    }

    const api = emulator.requests.filter((r) => r.method !== 'POST' || !r.path.startsWith('/_runner/'));
    const logins = api.filter((r) => r.path === `/app/installations/${INSTALLATION_ID}/access_tokens`);
    expect(logins.length).toBeGreaterThanOrEqual(1);
    expect(logins.every((r) => r.auth === 'app' && r.status === 201)).toBe(true);
    const rest = api.filter((r) => !r.path.startsWith('/app/') && !r.path.startsWith('/_runner/'));
    expect(rest.length).toBeGreaterThan(0);
    expect(rest.filter((r) => r.auth !== 'installation' || r.status === 401)).toEqual([]);
    expect(rest.some((r) => r.path.includes('status=in_progress'))).toBe(true);
    emulator.webhooks.contentType = 'json';
  });

  it('starts no pod for a job waiting for deployment approval until it is approved', async () => {
    const emulator = stack!.emulator;
    const deploy = await emulator.queueJob({
      repo: REPO,
      workflowPath: '.github/workflows/ci.yml',
      workflowText: WORKFLOW,
      name: 'deploy',
      labels: ['self-hosted', 'eci-virtual'],
      message: message('deploy'),
      environmentApproval: true,
    });
    expect(emulator.webhooks.deliveries.at(-1)).toMatchObject({ action: 'waiting', status: 202 });
    // A `queued` delivery for the still-waiting job (its schema allows status `waiting`) must not start one either.
    await emulator.sendJobWebhook(deploy, 'queued');
    // Three poll rounds (pollIntervalSeconds 2) and both deliveries: no pod, no runner.
    await new Promise((r) => setTimeout(r, 6_000));
    expect(await pods(deploy)).toHaveLength(0);
    expect(emulator.registeredRunners).not.toContain(`eci-virtual-${deploy.id}`);
    await emulator.approve(deploy.id);
    await until(async () => expect(status(deploy)).toBe('completed'), 120_000);
    expect(emulator.state.jobs.get(deploy.id)!.conclusion).toBe('success');
    await until(async () => expect(await pods(deploy)).toHaveLength(0), 60_000);
  });
});
