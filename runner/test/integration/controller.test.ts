/**
 * The controller end to end on the real control plane, a real virtual node process and Podman: signed webhooks
 * from the GitHub emulator → one job pod per job → steps through our hooks (driven by the runner stand-in) →
 * completed → everything cleaned up; plus forged signatures, duplicate deliveries, a crash mid-job, GitHub errors
 * and the per-job identity's exec boundary.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../scripts/lib/paths.js';
import type { KubeClients } from '../../src/kube/client.js';
import { ControllerStack } from '../harness/controller-stack.js';
import { readTestEnv } from '../harness/env.js';
import { startTestNode, stopTestNode, type TestNode } from '../harness/test-node.js';
import type { EmuJob } from '../github-emulator/state.js';
import type { JobsResponse } from '@eci-virtual/contract';
import { LABEL } from '@eci-virtual/contract';
import { until } from '../harness/until.js';
import { ensureCluster, stopClusterComponent } from '../../scripts/lib/cluster.js';

jest.setTimeout(300_000);

const REPO = 'octo-org/hello';
/** The controller binds a pod the scheduler has not placed after this long (stalled-pod-binder.ts). */
const STALL_SECONDS = 4;
const WORKFLOW = readFileSync(join(repoRoot, 'runner/test/workflows/github/ci.yml'), 'utf8');

describe('controller', () => {
  let t: TestNode | undefined;
  let stack: ControllerStack | undefined;
  let kube: KubeClients;

  beforeAll(async () => {
    t = await startTestNode('ctrl');
    kube = t.kube;
    stack = new ControllerStack({
      repo: REPO,
      namespace: t.ns,
      nodeName: t.nodeName,
      extraConfig: { bindStalledPodsAfterSeconds: STALL_SECONDS },
    });
    await stack.start();
  });

  afterAll(async () => {
    await stack?.stop();
    await stopTestNode(t);
  });

  const images = () => readTestEnv().engine.images as Record<string, string>;

  function queue(opts: { webhook?: boolean; sleepSeconds?: number } = {}): Promise<EmuJob> {
    return stack!.emulator.queueJob({
      repo: REPO,
      workflowPath: '.github/workflows/ci.yml',
      workflowText: WORKFLOW,
      name: 'test (busybox)',
      labels: ['self-hosted', 'eci-virtual'],
      message: {
        container: { image: images().busybox! },
        services: [{ name: 'web', image: images().httpService! }],
        steps: [
          {
            kind: 'script',
            name: 'hello',
            run: 'echo "hello from $(cat /etc/hostname)"; wget -qO- http://localhost:8080/ ; echo "ws=$GITHUB_WORKSPACE pwd=$(pwd)"',
          },
          {
            kind: 'container',
            name: 'node',
            image: images().debian!,
            entrypoint: 'node',
            args: `-e "console.log('node', process.version, process.env.GITHUB_WORKSPACE, require('fs').existsSync('/github/workspace/.'))"`,
          },
          {
            kind: 'script',
            name: 'exit code',
            run: `sleep ${opts.sleepSeconds ?? 0}; echo done > /__w/_temp/marker; exit 0`,
          },
        ],
      },
      ...(opts.webhook === false ? { webhook: false } : {}),
    });
  }

  const podName = (job: EmuJob) => `eci-job-${job.id}`;

  async function gone(job: EmuJob): Promise<void> {
    const ns = t!.ns;
    await until(async () => {
      const [pods, secrets, sas, roles, bindings] = await Promise.all([
        kube.core.listNamespacedPod({ namespace: ns, labelSelector: `${LABEL.jobId}=${job.id}` }),
        kube.core.listNamespacedSecret({ namespace: ns, labelSelector: `${LABEL.jobId}=${job.id}` }),
        kube.core.listNamespacedServiceAccount({ namespace: ns, labelSelector: `${LABEL.jobId}=${job.id}` }),
        kube.rbac.listNamespacedRole({ namespace: ns, labelSelector: `${LABEL.jobId}=${job.id}` }),
        kube.rbac.listNamespacedRoleBinding({ namespace: ns, labelSelector: `${LABEL.jobId}=${job.id}` }),
      ]);
      expect([pods, secrets, sas, roles, bindings].map((l) => l.items.length)).toEqual([0, 0, 0, 0, 0]);
    }, 60_000);
  }

  it('runs a webhook-queued job in one pod on the virtual node, through the hooks, and cleans up', async () => {
    const queuedAt = performance.now();
    const job = await queue();
    const pod = await until(
      async () => kube.core.readNamespacedPod({ name: podName(job), namespace: t!.ns }),
      10_000,
      10,
    );
    const createdMs = Math.round(performance.now() - queuedAt);
    process.stderr.write(`[controller] webhook → pod created ${createdMs} ms\n`);
    expect(createdMs).toBeLessThan(5_000);
    expect(pod.spec!.nodeName ?? t!.nodeName).toBe(t!.nodeName);
    expect(pod.spec!.containers.map((c) => c.name)).toEqual(['runner', 'job', 'svc-web', 'step-0']);
    expect(JSON.stringify(pod.spec)).not.toContain('emulatorToken');
    await until(async () => expect(stack!.emulator.state.jobs.get(job.id)!.status).toBe('completed'), 120_000);
    const done = stack!.emulator.state.jobs.get(job.id)!;
    const logs = done.results.map((r) => `${r.name}=${r.exitCode}\n${r.log}`).join('\n');
    if (done.conclusion !== 'success') process.stderr.write(`[controller] job ${job.id} failed:\n${logs}\n`);
    expect(done.conclusion).toBe('success');
    expect(done.results.map((r) => [r.name, r.exitCode])).toEqual([
      ['Initialize containers', 0],
      ['hello', 0],
      ['node', 0],
      ['exit code', 0],
    ]);
    expect(logs).toContain('pong');
    expect(logs).toContain(`ws=/__w/hello/hello pwd=/__w/hello/hello`);
    expect(logs).toMatch(/node v\d+\.\d+\.\d+ \/github\/workspace true/);
    await gone(job);
    const res = await stack!.portal(`/v1/jobs?repo=${REPO}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as JobsResponse;
    const record = body.jobs.find((j) => j.id === String(job.id))!;
    expect(record).toMatchObject({
      status: 'succeeded',
      node: { name: t!.nodeName, type: 'virtual' },
      resources: { cpu: '500m', memory: '512Mi' },
    });
    expect(record.latency.queuedToRunningMs).toBeGreaterThan(0);
  });

  it('rejects a forged signature with 401 and creates nothing', async () => {
    const payload = {
      action: 'queued',
      workflow_job: {
        id: 987654,
        run_id: 1,
        name: 'x',
        head_sha: 'a'.repeat(40),
        labels: ['eci-virtual'],
        status: 'queued',
      },
      repository: { full_name: REPO },
    };
    const d = await stack!.emulator.webhooks.send('workflow_job', payload, { forgeSignature: true });
    expect(d.status).toBe(401);
    const unsigned = await fetch(`${stack!.url}/webhook`, {
      method: 'POST',
      headers: { 'x-github-event': 'workflow_job' },
      body: JSON.stringify(payload),
    });
    expect(unsigned.status).toBe(401);
    await new Promise((r) => setTimeout(r, 1500));
    const pods = await kube.core.listNamespacedPod({
      namespace: t!.ns,
      labelSelector: `${LABEL.jobId}=987654`,
    });
    expect(pods.items).toHaveLength(0);
    expect((await stack!.portal(`/v1/jobs?repo=${REPO}`, 'wrong')).status).toBe(401);
    expect((await stack!.portal(`/v1/jobs?repo=not-a-repo`)).status).toBe(400);
  });

  it('creates one pod for duplicate and repeated deliveries', async () => {
    const job = await queue({ sleepSeconds: 2 });
    const first = stack!.emulator.webhooks.deliveries.find(
      (d) => d.action === 'queued' && d.body.includes(`"id":${job.id},`),
    )!;
    const again = await Promise.all([1, 2, 3].map(() => stack!.emulator.webhooks.redeliver(first.id)));
    expect(again.map((d) => d.status)).toEqual([200, 200, 200]);
    await stack!.emulator.sendJobWebhook(job, 'queued'); // a new delivery id for the same job
    await until(async () => expect(stack!.emulator.state.jobs.get(job.id)!.status).toBe('completed'), 120_000);
    const created = (await kube.core.listNamespacedEvent({ namespace: t!.ns })).items.filter(
      (e) => e.involvedObject?.name === podName(job) && e.reason === 'Scheduled',
    );
    expect(created.length).toBeLessThanOrEqual(1);
    expect(stack!.emulator.registeredRunners.filter((n) => n === `eci-virtual-${job.id}`)).toHaveLength(1);
    await gone(job);
  });

  it('finishes and cleans up a job when the controller is killed mid-job and restarted', async () => {
    const job = await queue({ sleepSeconds: 6 });
    await until(async () => expect(stack!.emulator.state.jobs.get(job.id)!.status).toBe('in_progress'), 60_000);
    await stack!.kill();
    await until(async () => expect(stack!.emulator.state.jobs.get(job.id)!.status).toBe('completed'), 120_000);
    // The `completed` webhook went nowhere; the restarted controller must find the finished runner by itself.
    expect(
      stack!.emulator.webhooks.deliveries
        .filter((d) => d.action === 'completed' && d.body.includes(`"id":${job.id},`))
        .every((d) => d.status === undefined),
    ).toBe(true);
    stack!.spawn();
    await stack!.waitReady();
    await gone(job);
    // The restarted leader writes the outcome before it cleans up, but a write the history database refuses at that
    // moment (the killed process's lock not yet stale) waits in the write-ahead, drained within 10 s.
    await until(async () => {
      const record = ((await (await stack!.portal(`/v1/jobs?repo=${REPO}`)).json()) as JobsResponse).jobs.find(
        (j) => j.id === String(job.id),
      );
      expect(record?.status).toBe('succeeded');
    }, 30_000);
  });

  it('survives GitHub 5xx and rate limits, and picks up jobs whose webhook was lost', async () => {
    stack!.emulator.inject({ kind: 'status', status: 502 }, 2, /generate-jitconfig$/);
    stack!.emulator.inject({ kind: 'rateLimit' }, 1, /\/contents\//);
    stack!.emulator.inject({ kind: 'secondaryRateLimit' }, 1, /\/actions\/runs\/\d+$/);
    const job = await queue({ webhook: false });
    await until(async () => expect(stack!.emulator.state.jobs.get(job.id)!.status).toBe('completed'), 120_000);
    expect(stack!.emulator.state.jobs.get(job.id)!.conclusion).toBe('success');
    const statuses = stack!.emulator.requests.map((r) => r.status);
    expect(statuses).toContain(502);
    expect(statuses.filter((s) => s === 403).length).toBeGreaterThanOrEqual(2);
    await gone(job);
    expect((await fetch(`${stack!.url}/healthz`)).status).toBe(200);
    const metrics = await (await fetch(`${stack!.url}/metrics`)).text();
    expect(metrics).toMatch(
      /eci_virtual_controller_github_calls_total\{route="POST \/repos\/:owner\/:repo\/actions\/runners\/generate-jitconfig",status="502"\} 2/,
    );
    expect(metrics).toMatch(/^eci_virtual_runner_swaps_total \d+$/m);
  });

  it('gives each job an identity that can exec into its own pod only', async () => {
    const [a, b] = [await queue({ sleepSeconds: 20 }), await queue({ sleepSeconds: 20 })];
    for (const j of [a, b])
      await until(async () => expect(stack!.emulator.state.jobs.get(j.id)!.status).toBe('in_progress'), 60_000);
    const token = await kube.core.createNamespacedServiceAccountToken({
      name: podName(a),
      namespace: t!.ns,
      body: { spec: { audiences: [], expirationSeconds: 600 } },
    });
    const env = readTestEnv();
    const { KubeConfig, Exec } = await import('@kubernetes/client-node');
    const admin = new KubeConfig();
    admin.loadFromFile(env.kubeconfig);
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [admin.getCurrentCluster()!],
      users: [{ name: 'job-a', token: token.status!.token }],
      contexts: [{ name: 'job-a', cluster: admin.getCurrentCluster()!.name, user: 'job-a' }],
      currentContext: 'job-a',
    });
    const exec = async (pod: string) =>
      new Promise<string>((resolve) => {
        new Exec(kc)
          .exec(t!.ns, pod, 'job', ['/bin/sh', '-c', 'echo inside'], null, null, null, false, (s) =>
            resolve(s.status ?? 'unknown'),
          )
          .then(
            (ws) => ws.on('close', () => resolve('closed')),
            (err: unknown) =>
              resolve(`error ${String((err as { statusCode?: number }).statusCode ?? (err as Error).message)}`),
          );
      });
    expect(await exec(podName(a))).toBe('Success');
    expect(await exec(podName(b))).toMatch(/403/);
    for (const j of [a, b])
      await until(async () => expect(stack!.emulator.state.jobs.get(j.id)!.status).toBe('completed'), 120_000);
    await gone(a);
    await gone(b);
  });

  it('removes the pod of a job cancelled while queued, whose runner would otherwise idle forever', async () => {
    stack!.emulator.holdAssignments = true;
    try {
      const job = await queue();
      await until(async () => {
        const pod = await kube.core.readNamespacedPod({ name: podName(job), namespace: t!.ns });
        expect(pod.status?.phase).toBe('Running');
      }, 60_000);
      await stack!.emulator.cancelQueued(job.id);
      await gone(job);
      expect(stack!.emulator.state.runners.size).toBe(0);
    } finally {
      stack!.emulator.holdAssignments = false;
    }
  });

  it('binds a job pod to the virtual node itself when the scheduler leaves it waiting', async () => {
    // kube-scheduler stopped stands for one whose watch backs off after an API server restart (up to ~60 s).
    expect(await stopClusterComponent('kube-scheduler')).toBe(true);
    try {
      const job = await queue();
      const pod = await until(async () => {
        const p = await kube.core.readNamespacedPod({ name: podName(job), namespace: t!.ns });
        expect(p.spec?.nodeName).toBe(t!.nodeName);
        return p;
      }, 60_000);
      // Not before the threshold: a healthy scheduler always gets its turn.
      const created = new Date(pod.metadata!.creationTimestamp!).getTime();
      const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
      expect(scheduled?.status).toBe('True');
      expect(new Date(scheduled!.lastTransitionTime!).getTime() - created).toBeGreaterThanOrEqual(
        (STALL_SECONDS - 1) * 1000,
      );
      await until(async () => expect(stack!.emulator.state.jobs.get(job.id)!.conclusion).toBe('success'), 120_000);
      const metrics = await (await fetch(`${stack!.url}/metrics`)).text();
      expect(metrics).toMatch(/^eci_virtual_controller_stalled_pods_bound_total 1$/m);
      await gone(job);
    } finally {
      await ensureCluster(() => undefined);
    }
  });
});
