/**
 * The helm chart, installed for real: project images built with buildah and pushed to the local registry, the
 * chart linted, rendered and dry-run against the API server, then `helm install`ed with its pods on the suite's
 * development virtual node. The helm-installed virtual node must register and be Ready, the helm-installed
 * controller must serve /healthz and turn a signed webhook into a job pod on that node, and keep doing so with its
 * leading replica killed (2 replicas by default); `helm upgrade` rolls out;
 * `helm uninstall` leaves nothing; bad values fail with the schema's message.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { ports } from '../../scripts/lib/cluster.js';
import { localDir, podHostAddress, repoRoot } from '../../scripts/lib/paths.js';
import { buildProjectImages, chartAppVersion } from '../../scripts/lib/project-images.js';
import { GitHubEmulator } from '../github-emulator/server.js';
import { GITHUB_TOKEN, PORTAL_TOKEN, WEBHOOK_SECRET } from '../harness/controller-stack.js';
import { readTestEnv } from '../harness/env.js';
import { helm } from '../harness/helm.js';
import { kubectl } from '../harness/kubectl.js';
import { ensureTestHooksImage } from '../harness/hooks-image.js';
import { ensureTestRunnerImage } from '../harness/runner-image.js';
import { unixSocketOverTcp } from '../harness/tcp-proxy.js';
import { startTestNode, stopTestNode, type TestNode } from '../harness/test-node.js';
import { until } from '../harness/until.js';

jest.setTimeout(600_000);

const CHART = join(repoRoot, 'helm', 'eci-virtual');
const REPO = 'octo-org/helm-demo';

describe('helm chart', () => {
  const env = readTestEnv();
  const suffix = randomBytes(3).toString('hex');
  const release = `ev-${suffix}`;
  const jobsNs = `ev-jobs-${suffix}`;
  const helmNode = `helm-vn-${suffix}`;
  let t: TestNode | undefined;
  let proxy: Awaited<ReturnType<typeof unixSocketOverTcp>> | undefined;
  const emulator = new GitHubEmulator({
    token: GITHUB_TOKEN,
    webhookSecret: WEBHOOK_SECRET,
    runnerHost: podHostAddress,
  });
  let valuesFile = '';
  let appImage = '';

  const kube = () => t!.kube;
  const h = (args: string[]) => helm(args, env.kubeconfig);

  function values(overrides: Record<string, unknown> = {}): string {
    const file = join(localDir, 'test-logs', `helm-values-${suffix}-${Object.keys(overrides).length}.yaml`);
    const [repository, tag] = appImage.split(/:(?=[^:]+$)/);
    const v = {
      // Always: every test run rebuilds the same appVersion tag from the current source.
      image: { repository, tag, pullPolicy: 'Always' },
      github: {
        apiUrl: `http://${podHostAddress}:${emulator.port}`,
        scope: { repositories: [REPO] },
        existingSecret: 'gh-creds',
      },
      controller: {
        jobsNamespace: jobsNs,
        pollIntervalSeconds: 5,
        runner: {
          image: runnerImage,
          command: ['node', '/home/runner/eci-hooks/runner-stand-in.js'],
          hooksImage: hooks,
          copyExternals: true,
        },
        placement: { cpu: '250m', memory: '256Mi', nodeSelector: { 'kubernetes.io/hostname': helmNode } },
        nodeSelector: { 'kubernetes.io/hostname': t!.nodeName },
        tolerations: [{ key: 'virtual-kubelet.io/provider', operator: 'Exists', effect: 'NoSchedule' }],
        ...((overrides.controller as object) ?? {}),
      },
      virtualNodes: [
        {
          name: helmNode,
          backend: 'docker',
          capacity: { cpu: '100', memory: '200Gi', pods: 100 },
          podApiServer: `${podHostAddress}:${ports.apiserver}`,
          docker: { host: `tcp://${podHostAddress}:${proxy!.port}`, infraImage: env.engine.images.busybox },
        },
      ],
      // The test cluster has no volume provisioner (and the development virtual node mounts no claims): the SQLite
      // history in an emptyDir per pod here. The chart's default (a claim shared by both replicas on its node) is
      // rendered and dry-run against the API server in the first test.
      history: { sqlite: { persistence: { enabled: false } } },
      nodeDeployment: {
        nodeSelector: { 'kubernetes.io/hostname': t!.nodeName },
        tolerations: [{ key: 'virtual-kubelet.io/provider', operator: 'Exists', effect: 'NoSchedule' }],
      },
    };
    writeFileSync(file, stringify(v));
    return file;
  }
  let hooks = '';
  let runnerImage = '';

  beforeAll(async () => {
    t = await startTestNode('helm');
    await emulator.start();
    proxy = await unixSocketOverTcp(env.engine.dockerHost.replace(/^unix:\/\//, ''), podHostAddress);
    hooks = await ensureTestHooksImage();
    runnerImage = await ensureTestRunnerImage();
    const images = await buildProjectImages({
      registry: env.engine.registry,
      baseImage: env.engine.images.busybox,
      log: (m) => process.stderr.write(`[helm] ${m}\n`),
    });
    appImage = images.app;
    process.stderr.write(`[helm] images ready: ${appImage}\n`);
    expect(appImage).toBe(`${env.engine.registry}/eci-virtual/eci-virtual:${chartAppVersion()}`);
    await kube().core.createNamespace({ body: { metadata: { name: jobsNs } } });
    await kube().core.createNamespacedSecret({
      namespace: t.ns,
      body: {
        metadata: { name: 'gh-creds' },
        stringData: { token: GITHUB_TOKEN, 'webhook-secret': WEBHOOK_SECRET, 'portal-token': PORTAL_TOKEN },
      },
    });
    valuesFile = values({ controller: { createJobsNamespace: false } });
    process.stderr.write(`[helm] namespace ${t.ns}, jobs in ${jobsNs}, values ${valuesFile}\n`);
  });

  afterAll(async () => {
    await h(['uninstall', release, '-n', t?.ns ?? 'default', '--wait', '--timeout', '60s']);
    await kube()
      ?.core.deleteNamespace({ name: jobsNs })
      .catch(() => undefined);
    await emulator.stop();
    await proxy?.close();
    await stopTestNode(t);
  });

  it('lints, renders and passes a server-side dry run', async () => {
    for (const f of ['ci/docker-values.yaml', 'ci/eci-values.yaml']) {
      const lint = await h(['lint', CHART, '-f', join(CHART, f)]);
      expect(lint.code).toBe(0);
    }
    const rendered = await h(['template', release, CHART, '-n', t!.ns, '-f', valuesFile]);
    expect(rendered.code).toBe(0);
    expect(rendered.stdout).not.toContain(GITHUB_TOKEN);
    expect(rendered.stdout).not.toContain(WEBHOOK_SECRET);
    const dry = await h(['install', release, CHART, '-n', t!.ns, '-f', valuesFile, '--dry-run=server']);
    expect(dry.stderr).toBe('');
    expect(dry.code).toBe(0);
    // The default history (SQLite on a ReadWriteOnce claim): still 2 replicas, rolled one at a time, both required
    // on the claim's node, and the claim mounted by both.
    const persistent = ['-f', valuesFile, '--set', 'history.sqlite.persistence.enabled=true'];
    const byDefault = await h(['template', release, CHART, '-n', t!.ns, ...persistent]);
    expect(byDefault.code).toBe(0);
    interface Doc {
      kind?: string;
      metadata: { name: string };
      spec: {
        replicas?: number;
        strategy?: { type: string };
        accessModes?: string[];
        maxUnavailable?: number;
        template?: { spec: { affinity?: { podAffinity?: Record<string, unknown> }; volumes?: unknown[] } };
      };
    }
    const docs = byDefault.stdout
      .split(/^---$/m)
      .map((d) => parse(d) as Doc | null)
      .filter((d): d is Doc => !!d?.kind);
    const deployment = docs.find((d) => d.kind === 'Deployment' && d.metadata.name.endsWith('-controller'))!;
    expect(deployment.spec.replicas).toBe(2);
    expect(deployment.spec.strategy?.type).toBe('RollingUpdate');
    const pod = deployment.spec.template!.spec;
    expect(pod.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution).toEqual([
      expect.objectContaining({ topologyKey: 'kubernetes.io/hostname' }),
    ]);
    const claim = docs.find((d) => d.kind === 'PersistentVolumeClaim')!;
    expect(claim.spec.accessModes).toEqual(['ReadWriteOnce']);
    expect(pod.volumes).toContainEqual(
      expect.objectContaining({ persistentVolumeClaim: { claimName: claim.metadata.name } }),
    );
    expect(docs.some((d) => d.kind === 'PodDisruptionBudget' && d.spec.maxUnavailable === 1)).toBe(true);
    const dryDefault = await h(['install', release, CHART, '-n', t!.ns, ...persistent, '--dry-run=server']);
    expect(dryDefault.stderr).toBe('');
    expect(dryDefault.code).toBe(0);
  });

  it('rejects bad values at install time with the schema message', async () => {
    const cases: [string[], RegExp][] = [
      [['--set', 'github.existingSecret='], /existingSecret.*minLength/],
      [['--set', 'controller.pollRunsPerRound=0'], /pollRunsPerRound.*minimum/],
      [['--set', 'virtualNodes[0].backend=fargate'], /backend.*(value must be one of|enum)/],
      [['--set', 'virtualNodes[0].capacity.cpu=-4'], /capacity\/cpu.*minimum/],
      [['--set-string', 'virtualNodes[0].capacity.memory=-4Gi'], /capacity\/memory.*(pattern|does not match)/],
      [['--set', 'virtualNodes[0].capacity.pods=-1'], /capacity\/pods.*minimum/],
      [['--set', 'virtualNodes[0].eci.imageCache.retentionDays=0'], /imageCache\/retentionDays.*minimum/],
    ];
    for (const [set, message] of cases) {
      const r = await h(['install', `${release}-bad`, CHART, '-n', t!.ns, '-f', valuesFile, ...set]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(message);
    }
  });

  it('installs: the virtual node becomes Ready and the controller turns a signed webhook into a job pod on it', async () => {
    const install = await h(['install', release, CHART, '-n', t!.ns, '-f', valuesFile]);
    expect(install.stderr).toBe('');
    expect(install.stdout).toContain('runs-on: [self-hosted, eci-virtual]');
    await until(async () => {
      const node = await kube().core.readNode({ name: helmNode });
      expect(node.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    }, 180_000);
    const controllerPod = await until(async () => {
      const pods = await kube().core.listNamespacedPod({
        namespace: t!.ns,
        labelSelector: `app.kubernetes.io/instance=${release},app.kubernetes.io/component=controller`,
      });
      const p = pods.items.find((x) => x.status?.podIP && x.status.containerStatuses?.[0]?.ready);
      if (!p) throw new Error('controller not ready yet');
      return p;
    }, 180_000);
    expect(controllerPod.spec!.nodeName).toBe(t!.nodeName);
    // The controller follows the job pods' events with one watch (controller/jobs/pod-event-watch.ts). Without `watch`
    // in the chart's Role it still works, from a LIST per pod that costs the API server a test of every event in the
    // namespace, so nothing else here would notice the verb missing.
    const controllerSa = `system:serviceaccount:${t!.ns}:${controllerPod.spec!.serviceAccountName}`;
    for (const verb of ['list', 'watch']) {
      const canI = await kubectl(['auth', 'can-i', verb, 'events', '-n', jobsNs, '--as', controllerSa]);
      expect(`${verb} events: ${canI.stdout.trim()}`).toBe(`${verb} events: yes`);
    }
    const base = `http://${controllerPod.status!.podIP}:8080`;
    // "ready" on our virtual node means running; the server may take a moment to listen.
    await until(async () => expect((await fetch(`${base}/healthz`)).status).toBe(200), 30_000);
    emulator.webhookUrl = `${base}/webhook`;
    const job = await emulator.queueJob({
      repo: REPO,
      workflowPath: '.github/workflows/ci.yml',
      workflowText:
        'name: CI\non: push\njobs:\n  hello:\n    runs-on: eci-virtual\n    container: ' +
        env.engine.images.busybox +
        '\n    steps: [{ run: echo hi }]\n',
      name: 'hello',
      labels: ['eci-virtual'],
      message: {
        container: { image: env.engine.images.busybox },
        steps: [{ kind: 'script', name: 'hi', run: 'echo "hi from $(cat /etc/hostname)"' }],
      },
    });
    expect(emulator.webhooks.deliveries.at(-1)?.status).toBe(202);
    const pod = await until(
      async () => kube().core.readNamespacedPod({ name: `eci-job-${job.id}`, namespace: jobsNs }),
      30_000,
    );
    await until(
      async () =>
        expect(
          (await kube().core.readNamespacedPod({ name: pod.metadata!.name!, namespace: jobsNs })).spec!.nodeName,
        ).toBe(helmNode),
      60_000,
    );
    await until(async () => expect(emulator.state.jobs.get(job.id)!.status).toBe('completed'), 180_000);
    expect(
      emulator.state.jobs
        .get(job.id)!
        .results.map((r) => r.log)
        .join('\n'),
    ).toContain(`hi from eci-job-${job.id}`);
  });

  it('runs two controller replicas: with the leader killed, a queued job still gets its pod', async () => {
    const selector = `app.kubernetes.io/instance=${release},app.kubernetes.io/component=controller`;
    const ready = await until(async () => {
      const pods = await kube().core.listNamespacedPod({ namespace: t!.ns, labelSelector: selector });
      const up = pods.items.filter((x) => x.status?.podIP && x.status.containerStatuses?.[0]?.ready);
      expect(up).toHaveLength(2);
      return up;
    }, 180_000);
    const lease = await until(async () => {
      const l = await kube().coordination.readNamespacedLease({
        name: `${release}-eci-virtual-controller`,
        namespace: jobsNs,
      });
      expect(ready.map((p) => p.metadata!.name)).toContain(l.spec?.holderIdentity);
      return l;
    }, 60_000);
    const leader = lease.spec!.holderIdentity!;
    const follower = ready.find((p) => p.metadata!.name !== leader)!;
    await kube().core.deleteNamespacedPod({ name: leader, namespace: t!.ns, gracePeriodSeconds: 0 });
    const killedAt = Date.now();
    emulator.webhookUrl = `http://${follower.status!.podIP}:8080/webhook`;
    const job = await emulator.queueJob({
      repo: REPO,
      workflowPath: '.github/workflows/ci.yml',
      workflowText:
        'name: CI\non: push\njobs:\n  hello:\n    runs-on: eci-virtual\n    container: ' +
        env.engine.images.busybox +
        '\n    steps: [{ run: echo hi }]\n',
      name: 'hello',
      labels: ['eci-virtual'],
      message: {
        container: { image: env.engine.images.busybox },
        steps: [{ kind: 'script', name: 'hi', run: 'echo "hi again"' }],
      },
    });
    // Taken by the follower while nobody leads: stored for the next leader.
    expect(emulator.webhooks.deliveries.at(-1)?.status).toBe(202);
    await until(
      async () => kube().core.readNamespacedPod({ name: `eci-job-${job.id}`, namespace: jobsNs }),
      60_000,
      100,
    );
    process.stderr.write(
      `[helm] leader ${leader} killed; queued job's pod created ${Date.now() - killedAt} ms later\n`,
    );
    const after = await kube().coordination.readNamespacedLease({
      name: `${release}-eci-virtual-controller`,
      namespace: jobsNs,
    });
    // The follower usually takes over; the Deployment's replacement for the killed pod may win the expired lease
    // first, which is as good. What must not hold it is the dead leader.
    expect(after.spec?.holderIdentity).toBeTruthy();
    expect(after.spec?.holderIdentity).not.toBe(leader);
    await until(async () => expect(emulator.state.jobs.get(job.id)!.status).toBe('completed'), 180_000);
  });

  it('rolls out a changed value with helm upgrade', async () => {
    const before = await kube().apps.readNamespacedDeployment({
      name: `${release}-eci-virtual-controller`,
      namespace: t!.ns,
    });
    const upgraded = values({ controller: { createJobsNamespace: false, maxConcurrentJobs: 7 } });
    const r = await h(['upgrade', release, CHART, '-n', t!.ns, '-f', upgraded]);
    expect(r.stderr).toBe('');
    await until(async () => {
      const d = await kube().apps.readNamespacedDeployment({
        name: `${release}-eci-virtual-controller`,
        namespace: t!.ns,
      });
      expect(d.metadata!.generation).toBeGreaterThan(before.metadata!.generation!);
      expect(d.status?.updatedReplicas).toBe(2);
      expect(d.status?.readyReplicas).toBe(2);
    }, 180_000);
    const cm = await kube().core.readNamespacedConfigMap({
      name: `${release}-eci-virtual-controller`,
      namespace: t!.ns,
    });
    expect(cm.data!['controller.yaml']).toContain('maxConcurrentJobs: 7');
  });

  it('uninstalls without leaving anything behind', async () => {
    const r = await h(['uninstall', release, '-n', t!.ns, '--wait', '--timeout', '120s']);
    expect(r.code).toBe(0);
    const sel = `app.kubernetes.io/instance=${release}`;
    await until(async () => {
      const left = await Promise.all([
        kube()
          .apps.listNamespacedDeployment({ namespace: t!.ns, labelSelector: sel })
          .then((l) => l.items.length),
        kube()
          .core.listNamespacedPod({ namespace: t!.ns, labelSelector: sel })
          .then((l) => l.items.length),
        kube()
          .core.listNamespacedServiceAccount({ namespace: t!.ns, labelSelector: sel })
          .then((l) => l.items.length),
        kube()
          .core.listNamespacedConfigMap({ namespace: t!.ns, labelSelector: sel })
          .then((l) => l.items.length),
        kube()
          .core.listNamespacedService({ namespace: t!.ns, labelSelector: sel })
          .then((l) => l.items.length),
        kube()
          .rbac.listClusterRole({ labelSelector: sel })
          .then((l) => l.items.length),
        kube()
          .rbac.listClusterRoleBinding({ labelSelector: sel })
          .then((l) => l.items.length),
        kube()
          .rbac.listNamespacedRole({ namespace: jobsNs, labelSelector: sel })
          .then((l) => l.items.length),
        kube()
          .core.readNode({ name: helmNode })
          .then(
            () => 1,
            () => 0,
          ),
      ]);
      expect(left).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0]);
    }, 120_000);
  });
});
