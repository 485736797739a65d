/**
 * A runner that gets another job than its pod was built for still runs it right (issue #18), through the real
 * controller: GitHub (here the emulator) hands the oldest queued job to whichever idle runner asks, so the test
 * decides which runner asks first (the emulator's `heldRunners`) and makes each runner take the OTHER job. The
 * controller then builds a workload pod for the job each runner really took — the job's own image and resources,
 * which its steps print from inside their container — and everything is gone afterwards. A runner pod whose own
 * job ran elsewhere, while its runner idles, is reaped even when every webhook after `queued` is lost.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { LABEL, type JobsResponse } from '@eci-virtual/contract';
import type { KubeClients } from '../../src/kube/client.js';
import { ControllerStack } from '../harness/controller-stack.js';
import { readTestEnv } from '../harness/env.js';
import { startTestNode, stopTestNode, type TestNode } from '../harness/test-node.js';
import { until } from '../harness/until.js';
import type { EmuJob, StandInStep } from '../github-emulator/state.js';

jest.setTimeout(400_000);

const REPO = 'octo-org/swap';
/** Facts from inside the step's container: which image (os-release; busybox has none) and its cgroup limits. */
const FACTS: StandInStep = {
  kind: 'script',
  name: 'facts',
  run: [
    'echo "os=$( (. /etc/os-release 2>/dev/null && echo "$ID") || echo busybox)"',
    // cgroup v2, else v1 (as on this machine): the container's own limits either way.
    'echo "mem=$(cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes)"',
    'c=/sys/fs/cgroup/cpu; echo "cpu=$(cat /sys/fs/cgroup/cpu.max 2>/dev/null || echo "$(cat $c/cpu.cfs_quota_us) $(cat $c/cpu.cfs_period_us)")"',
    'echo "ws=$(pwd)"',
  ].join('; '),
};
const SETTINGS = ['jobs:', "  small: { cpu: '250m', memory: 192Mi }", "  big: { cpu: '750m', memory: 320Mi }", ''].join(
  '\n',
);

describe('controller: a runner that takes another job', () => {
  let t: TestNode | undefined;
  let stack: ControllerStack | undefined;
  let kube: KubeClients;
  const images = () => readTestEnv().engine.images;

  beforeAll(async () => {
    t = await startTestNode('swap');
    kube = t.kube;
    stack = new ControllerStack({
      repo: REPO,
      namespace: t.ns,
      nodeName: t.nodeName,
      workloads: true,
      extraConfig: { idleReapSeconds: 10 },
    });
    await stack.start();
  });

  afterAll(async () => {
    await stack?.stop();
    await stopTestNode(t);
  });

  const twoJobs = () =>
    [
      'name: CI',
      'on: push',
      'jobs:',
      '  small:',
      '    runs-on: [self-hosted, eci-virtual]',
      `    container: { image: "${images().busybox}" }`,
      '    steps: [{ run: "true" }]',
      '  big:',
      '    runs-on: [self-hosted, eci-virtual]',
      `    container: { image: "${images().debian}" }`,
      '    steps: [{ run: "true" }]',
      '',
    ].join('\n');

  const queue = (name: string, image: string, workflowText: string) =>
    stack!.emulator.queueJob({
      repo: REPO,
      workflowPath: '.github/workflows/ci.yml',
      workflowText,
      files: { '.github/eci-virtual.yml': SETTINGS },
      name,
      labels: ['self-hosted', 'eci-virtual'],
      message: { container: { image }, steps: [FACTS] },
    });

  const job = (j: EmuJob) => stack!.emulator.state.jobs.get(j.id)!;
  const runnerOf = (j: EmuJob) => `eci-virtual-${j.id}`;

  async function podsRunning(...jobs: EmuJob[]): Promise<void> {
    for (const j of jobs)
      await until(async () => {
        const pod = await kube.core.readNamespacedPod({ name: `eci-job-${j.id}`, namespace: t!.ns });
        expect(pod.status?.phase).toBe('Running');
      }, 120_000);
  }

  /** Each runner takes the other's job: the runner of `first` is held while the runner of `second` takes `first`. */
  async function crossOver(first: EmuJob, second: EmuJob): Promise<void> {
    await podsRunning(first, second);
    stack!.emulator.heldRunners.add(runnerOf(first));
    stack!.emulator.holdAssignments = false;
    await until(async () => expect(job(first).runner_name).toBe(runnerOf(second)), 60_000);
    stack!.emulator.heldRunners.clear();
  }

  async function completed(j: EmuJob): Promise<EmuJob> {
    await until(async () => expect(job(j).status).toBe('completed'), 240_000, 250);
    const done = job(j);
    process.stderr.write(
      `[swap] job ${j.id} (${j.name}) on ${done.runner_name}: ${done.conclusion}\n` +
        done.results.map((r) => `--- ${r.name} = ${r.exitCode}\n${r.log}`).join('\n') +
        '\n',
    );
    return done;
  }

  async function gone(...jobs: EmuJob[]): Promise<void> {
    const ns = t!.ns;
    for (const j of jobs)
      await until(async () => {
        const [pods, secrets] = await Promise.all([
          kube.core.listNamespacedPod({ namespace: ns, labelSelector: `${LABEL.jobId}=${j.id}` }),
          kube.core.listNamespacedSecret({ namespace: ns, labelSelector: `${LABEL.jobId}=${j.id}` }),
        ]);
        expect([...pods.items, ...secrets.items].map((o) => o.metadata?.name)).toEqual([]);
      }, 90_000);
  }

  const facts = (j: EmuJob) => j.results.find((r) => r.name === 'facts')?.log ?? '';
  const record = async (j: EmuJob) =>
    ((await (await stack!.portal(`/v1/jobs?repo=${REPO}`)).json()) as JobsResponse).jobs.find(
      (r) => r.id === String(j.id),
    );

  it("runs each of two jobs of different shapes in its own image and resources when each runner takes the other's", async () => {
    stack!.emulator.holdAssignments = true;
    const wf = twoJobs();
    const small = await queue('small', images().busybox, wf);
    const big = await queue('big', images().debian, wf);
    await crossOver(small, big);
    const [s, b] = [await completed(small), await completed(big)];
    expect([s.runner_name, b.runner_name]).toEqual([runnerOf(big), runnerOf(small)]);
    expect([s.conclusion, b.conclusion]).toEqual(['success', 'success']);
    expect(facts(s)).toContain('os=busybox');
    expect(facts(s)).toContain(`mem=${192 * 1024 * 1024}`);
    expect(facts(s)).toContain('cpu=25000 100000');
    expect(facts(b)).toContain('os=debian');
    expect(facts(b)).toContain(`mem=${320 * 1024 * 1024}`);
    expect(facts(b)).toContain('cpu=75000 100000');
    expect(facts(s)).toContain('ws=/__w/swap/swap');
    // The records show where each job really ran: its workload pod, with its own resources.
    await until(async () => {
      const r = await record(small);
      expect(r).toMatchObject({
        status: 'succeeded',
        pod: { name: `eci-job-${small.id}-w` },
        node: { name: t!.nodeName },
        resources: { cpu: '250m', memory: '192Mi' },
      });
    }, 30_000);
    await gone(small, big);
    const metrics = await (await fetch(`${stack!.url}/metrics`)).text();
    expect(metrics).toMatch(/^eci_virtual_controller_jobs_by_shape_total\{relation="rerouted"\} 2$/m);
    expect(metrics).toMatch(/^eci_virtual_controller_workload_pods_created_total 2$/m);
  });

  it('runs the legs of a matrix over container images, whichever runner takes which leg', async () => {
    stack!.emulator.holdAssignments = true;
    const wf = [
      'name: CI',
      'on: push',
      'jobs:',
      '  test:',
      '    runs-on: [self-hosted, eci-virtual]',
      '    name: test-${{ matrix.leg }}',
      '    strategy:',
      '      matrix:',
      `        include: [{ leg: bb, image: "${images().busybox}" }, { leg: deb, image: "${images().debian}" }]`,
      '    container: ${{ matrix.image }}',
      '    steps: [{ run: "true" }]',
      '',
    ].join('\n');
    const bb = await queue('test-bb', images().busybox, wf);
    const deb = await queue('test-deb', images().debian, wf);
    await crossOver(bb, deb);
    const [x, y] = [await completed(bb), await completed(deb)];
    expect([x.conclusion, y.conclusion]).toEqual(['success', 'success']);
    expect(facts(x)).toContain('os=busybox');
    expect(facts(y)).toContain('os=debian');
    await gone(bb, deb);
  });

  it('runs a job whose image comes from a secret, with container.credentials as a pull Secret gone after the job', async () => {
    const wf = [
      'name: CI',
      'on: push',
      'jobs:',
      '  private:',
      '    runs-on: [self-hosted, eci-virtual]',
      '    container:',
      '      image: ${{ secrets.IMAGE }}',
      '      credentials: { username: ${{ secrets.REG_USER }}, password: ${{ secrets.REG_PASSWORD }} }',
      '    steps: [{ run: "true" }]',
      '',
    ].join('\n');
    const password = 'reg-pass-7f3c91';
    const j = await stack!.emulator.queueJob({
      repo: REPO,
      workflowPath: '.github/workflows/ci.yml',
      workflowText: wf,
      name: 'private',
      labels: ['self-hosted', 'eci-virtual'],
      message: {
        container: { image: images().debian, registry: { username: 'ci-bot', password } },
        steps: [{ ...FACTS, run: `${FACTS.run!}; sleep 3` }],
      },
    });
    // While the job runs: its workload pod pulls with a per-job dockerconfigjson Secret; the password is only there.
    const pull = await until(
      async () => kube.core.readNamespacedSecret({ name: `eci-job-${j.id}-w-pull`, namespace: t!.ns }),
      120_000,
      100,
    );
    expect(pull.type).toBe('kubernetes.io/dockerconfigjson');
    const config = JSON.parse(Buffer.from(pull.data!['.dockerconfigjson']!, 'base64').toString('utf8')) as {
      auths: Record<string, { username: string; password: string }>;
    };
    expect(config.auths[images().debian.split('/')[0]!]).toMatchObject({ username: 'ci-bot', password });
    // The pull Secret is made before the workload pod that names it: wait for the pod too.
    const w = await until(
      async () => kube.core.readNamespacedPod({ name: `eci-job-${j.id}-w`, namespace: t!.ns }),
      60_000,
      100,
    );
    expect(w.spec!.imagePullSecrets).toEqual([{ name: `eci-job-${j.id}-w-pull` }]);
    expect(JSON.stringify(w)).not.toContain(password);
    const done = await completed(j);
    expect(done.conclusion).toBe('success');
    expect(facts(done)).toContain('os=debian');
    await gone(j);
  });

  it('reaps a runner pod whose own job completed on another runner, with every later webhook lost', async () => {
    stack!.emulator.holdAssignments = true;
    const wf = twoJobs();
    const a = await queue('small', images().busybox, wf);
    const b = await queue('small', images().busybox, wf);
    await podsRunning(a, b);
    const url = stack!.emulator.webhookUrl;
    stack!.emulator.webhookUrl = undefined; // in_progress and completed go nowhere from here on
    try {
      stack!.emulator.heldRunners.add(runnerOf(a));
      stack!.emulator.holdAssignments = false;
      await until(async () => expect(job(a).runner_name).toBe(runnerOf(b)), 60_000);
      // Same shape: the runner's own pod ran it.
      expect((await completed(a)).conclusion).toBe('success');
      const doneAt = Date.now();
      // a's pod: its job is done, its runner idles (held) — deregistered and removed within idleReapSeconds.
      await until(async () => {
        const pods = await kube.core.listNamespacedPod({ namespace: t!.ns, labelSelector: `${LABEL.jobId}=${a.id}` });
        expect(pods.items).toHaveLength(0);
      }, 60_000);
      process.stderr.write(`[swap] idle runner pod reaped ${Date.now() - doneAt} ms after its job completed\n`);
      expect(Date.now() - doneAt).toBeLessThan(30_000);
      expect([...stack!.emulator.state.runners.values()].map((r) => r.name)).not.toContain(runnerOf(a));
      // b never got a runner of its own pod (that runner ran a): the poller launches it again.
      stack!.emulator.heldRunners.clear();
      expect((await completed(b)).conclusion).toBe('success');
      await gone(a, b);
    } finally {
      stack!.emulator.webhookUrl = url;
      stack!.emulator.heldRunners.clear();
    }
    const metrics = await (await fetch(`${stack!.url}/metrics`)).text();
    expect(metrics).toMatch(/^eci_virtual_controller_jobs_by_shape_total\{relation="same"\} [1-9]/m);
  });
});
