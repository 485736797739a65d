/**
 * The virtual node against the real control plane, real kubectl and a real container engine: registration, the
 * scheduler placing pods on it, exit codes, logs through the API server, shared volumes and localhost, fast failures,
 * exec, deletion, and adoption of running pods after the node process is killed. One suite, run once per backend
 * (virtual-node.test.ts: docker on Podman; virtual-node-eci.test.ts: eci against the ECI emulator running its groups
 * on Podman), so both backends are held to the same behaviour.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { V1Pod } from '@kubernetes/client-node';
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeClients } from '../../src/kube/client.js';
import { startTestNode, stopTestNode, type TestNode } from '../harness/test-node.js';
import { readTestEnv, type TestEnv } from '../harness/env.js';
import { eventually } from '../harness/kube.js';
import { kubectl } from '../harness/kubectl.js';
import { NodeProcess } from '../../scripts/lib/node-process.js';
import { virtualPod } from '../harness/pods.js';

/** What differs between backends; everything else in the suite is the same. */
export interface BackendUnderTest {
  /** "docker", "eci" — used in the suite's title and in node/namespace names. */
  name: string;
  /** Starts what the backend needs; returns the node's extra flags and environment. */
  start(env: TestEnv): Promise<{ args: string[]; env?: Record<string, string> }>;
  stop(): Promise<void>;
  /** How many backend objects (engine containers, container groups…) exist for the pod — to see deletes and no duplicates. */
  objectsOf(ns: string, podName: string, nodeName: string): Promise<number>;
  /** How many objects a running one-container pod has (docker: infra + main; eci: one group). */
  objectsPerPod: number;
  /** `kubectl attach` (ECI has no attach API). */
  attach: boolean;
  /** More checks for this backend, run after the shared ones on the same node. */
  extra?: (ctx: SuiteContext) => void;
}

export interface SuiteContext {
  env: () => TestEnv;
  ns: () => string;
  nodeName: () => string;
  pod: (name: string, containers: Parameters<typeof virtualPod>[2], spec?: Parameters<typeof virtualPod>[3]) => V1Pod;
  create: (p: V1Pod) => Promise<V1Pod>;
  phase: (name: string, phases: string[], timeoutMs?: number) => Promise<V1Pod>;
}

jest.setTimeout(180_000);

export function describeVirtualNode(backend: BackendUnderTest): void {
  describe(`virtual node (${backend.name} backend)`, () => {
    let env: TestEnv;
    let kube: KubeClients;
    let ns: string;
    let node: NodeProcess;
    let nodeName: string;
    let t: TestNode | undefined;

    const pod = (name: string, containers: Parameters<typeof virtualPod>[2], spec?: Parameters<typeof virtualPod>[3]) =>
      virtualPod(
        name,
        nodeName,
        containers.map((c) => ({ image: env.engine.images.busybox, ...c })),
        spec,
      );

    const create = (p: V1Pod) => kube.core.createNamespacedPod({ namespace: ns, body: p });
    const read = (name: string) => kube.core.readNamespacedPod({ namespace: ns, name });
    const phase = (name: string, phases: string[], timeoutMs = 60_000) =>
      eventually(
        `pod ${name} in ${phases.join('/')}`,
        async () => {
          const p = await read(name);
          return phases.includes(p.status?.phase ?? '') ? p : undefined;
        },
        timeoutMs,
      );
    const objectsOf = (podName: string) => backend.objectsOf(ns, podName, nodeName);

    beforeAll(async () => {
      env = readTestEnv();
      const started = await backend.start(env);
      t = await startTestNode(
        backend.name === 'docker' ? 'vnode' : `vnode-${backend.name}`,
        started.args,
        undefined,
        started.env,
      );
      ({ kube, ns, node, nodeName } = t);
    });

    afterAll(async () => {
      await stopTestNode(t);
      await backend.stop();
    });

    it('registers a Ready node with the virtual-kubelet labels, taint, kubelet endpoint and a fresh lease', async () => {
      const n = await kube.core.readNode({ name: nodeName });
      expect(n.metadata?.labels).toMatchObject({
        type: 'virtual-kubelet',
        'kubernetes.io/role': 'agent',
        'kubernetes.io/hostname': nodeName,
      });
      expect(n.spec?.taints).toContainEqual(
        expect.objectContaining({ key: 'virtual-kubelet.io/provider', effect: 'NoSchedule' }),
      );
      expect(n.status?.daemonEndpoints?.kubeletEndpoint?.Port).toBe(node.opts.port);
      // The node writes its lease right after registering (the lease is owned by the Node object).
      const lease = await eventually('the node lease', () =>
        kube.coordination.readNamespacedLease({ namespace: 'kube-node-lease', name: nodeName }),
      );
      expect(lease.spec?.leaseDurationSeconds).toBe(40);
      expect(Date.now() - new Date(lease.spec!.renewTime!).getTime()).toBeLessThan(15_000);
      const res = await kubectl(['get', 'node', nodeName, '--no-headers']);
      expect(res.stdout).toMatch(new RegExp(`^${nodeName}\\s+Ready\\s+agent`));
    });

    it('runs a scheduled pod to Succeeded, and to Failed with the container exit code', async () => {
      await create(pod('ok', [{ name: 'main', command: ['sh', '-c', 'echo fine'] }]));
      await create(pod('exit3', [{ name: 'main', command: ['sh', '-c', 'exit 3'] }]));
      const ok = await phase('ok', ['Succeeded', 'Failed']);
      expect(ok.status?.phase).toBe('Succeeded');
      expect(ok.spec?.nodeName).toBe(nodeName);
      const failed = await phase('exit3', ['Succeeded', 'Failed']);
      expect(failed.status?.phase).toBe('Failed');
      expect(failed.status?.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(3);
      const events = await kube.core.listNamespacedEvent({ namespace: ns, fieldSelector: 'involvedObject.name=ok' });
      expect(events.items.map((e) => e.reason)).toEqual(expect.arrayContaining(['Scheduled', 'Created', 'Started']));
    });

    it('streams `kubectl logs -f` live through the API server and ends when the container ends', async () => {
      await create(
        pod('ticker', [{ name: 'main', command: ['sh', '-c', 'for i in 1 2 3 4; do echo tick $i; sleep 1; done'] }]),
      );
      await phase('ticker', ['Running', 'Succeeded']);
      let firstSeenAt = 0;
      const started = Date.now();
      const res = await kubectl(['-n', ns, 'logs', '-f', 'ticker'], { onStdout: () => (firstSeenAt ||= Date.now()) });
      expect(res.code).toBe(0);
      expect(res.stdout).toBe('tick 1\ntick 2\ntick 3\ntick 4\n');
      // Live: the first line arrived well before the container finished (≈4 s of output).
      expect(firstSeenAt - started).toBeLessThan(2_500);
      const tail = await kubectl(['-n', ns, 'logs', 'ticker', '--tail', '1']);
      expect(tail.stdout).toBe('tick 4\n');
    });

    it('shares emptyDir volumes and localhost between containers and materialises ConfigMap/Secret/downward API files', async () => {
      await kube.core.createNamespacedConfigMap({
        namespace: ns,
        body: { metadata: { name: 'cfg' }, data: { mode: 'fast' } },
      });
      await kube.core.createNamespacedSecret({
        namespace: ns,
        body: { metadata: { name: 'sec' }, stringData: { token: 's3cret' } },
      });
      const shared = pod(
        'shared',
        [
          {
            name: 'server',
            command: [
              'sh',
              '-c',
              'echo from-server > /work/file; mkdir -p /www; echo served > /www/index.html; exec httpd -f -p 8080 -h /www',
            ],
            volumeMounts: [{ name: 'work', mountPath: '/work' }],
          },
          {
            name: 'client',
            command: [
              'sh',
              '-c',
              'until wget -qO- http://localhost:8080/ 2>/dev/null; do sleep 0.2; done; cat /work/file; cat /cfg/mode; echo; cat /sec/token; echo; cat /info/labels; echo; echo "$TOKEN"',
            ],
            env: [{ name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'sec', key: 'token' } } }],
            volumeMounts: [
              { name: 'work', mountPath: '/work' },
              { name: 'cfg', mountPath: '/cfg' },
              { name: 'sec', mountPath: '/sec' },
              { name: 'info', mountPath: '/info' },
            ],
          },
        ],
        {
          volumes: [
            { name: 'work', emptyDir: {} },
            { name: 'cfg', configMap: { name: 'cfg' } },
            { name: 'sec', secret: { secretName: 'sec' } },
            { name: 'info', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
          ],
        },
      );
      shared.metadata!.labels = { team: 'ci' };
      await create(shared);
      await eventually('client container to finish', async () => {
        const p = await read('shared');
        return p.status?.containerStatuses?.find((c) => c.name === 'client')?.state?.terminated;
      });
      const logs = await kubectl(['-n', ns, 'logs', 'shared', '-c', 'client']);
      expect(logs.stdout).toBe('served\nfrom-server\nfast\ns3cret\nteam="ci"\ns3cret\n');
    });

    it('keeps a pod with a missing mandatory ConfigMap/Secret Pending with an event and starts it once they exist', async () => {
      const warnings = async (name: string) =>
        (
          await kube.core.listNamespacedEvent({
            namespace: ns,
            fieldSelector: `involvedObject.name=${name},type=Warning`,
          })
        ).items.map((e) => e.reason);
      await create(
        pod(
          'waits',
          [
            {
              name: 'main',
              command: ['sh', '-c', 'echo "$FROM_SECRET"; cat /cfg/mode; echo'],
              env: [{ name: 'FROM_SECRET', valueFrom: { secretKeyRef: { name: 'late-sec', key: 'token' } } }],
              volumeMounts: [{ name: 'cfg', mountPath: '/cfg' }],
            },
          ],
          { volumes: [{ name: 'cfg', configMap: { name: 'late-cfg' } }] },
        ),
      );
      await create(
        pod('optional', [
          {
            name: 'main',
            command: ['sh', '-c', 'echo "[$MAYBE]"'],
            env: [{ name: 'MAYBE', valueFrom: { configMapKeyRef: { name: 'never-cfg', key: 'k', optional: true } } }],
          },
        ]),
      );
      await eventually('MandatorySecretNotFound event', async () =>
        (await warnings('waits')).includes('MandatorySecretNotFound') ? true : undefined,
      );
      const waiting = await read('waits');
      expect(waiting.status?.phase).toBe('Pending');
      expect(waiting.status?.containerStatuses?.[0]?.state?.waiting?.reason).toBe('CreateContainerConfigError');
      // An optional reference that is missing does not hold the pod back; it is reported, as virtual-kubelet does.
      const optional = await phase('optional', ['Succeeded', 'Failed']);
      expect(optional.status?.phase).toBe('Succeeded');
      expect(await warnings('optional')).toContain('OptionalConfigMapNotFound');
      expect((await kubectl(['-n', ns, 'logs', 'optional'])).stdout).toBe('[]\n');

      await kube.core.createNamespacedSecret({
        namespace: ns,
        body: { metadata: { name: 'late-sec' }, stringData: { token: 'arrived' } },
      });
      await eventually('MandatoryConfigMapNotFound event', async () =>
        (await warnings('waits')).includes('MandatoryConfigMapNotFound') ? true : undefined,
      );
      expect((await read('waits')).status?.phase).toBe('Pending');
      await kube.core.createNamespacedConfigMap({
        namespace: ns,
        body: { metadata: { name: 'late-cfg' }, data: { mode: 'late' } },
      });
      const done = await phase('waits', ['Succeeded', 'Failed'], 60_000);
      expect(done.status?.phase).toBe('Succeeded');
      expect((await kubectl(['-n', ns, 'logs', 'waits'])).stdout).toBe('arrived\nlate\n');
    });

    it('fails fast with the real reason for a missing image and for a bad command', async () => {
      await create(pod('noimage', [{ name: 'main', image: `${env.engine.registry}/eci-virtual/does-not-exist:1` }]));
      await create(pod('badcmd', [{ name: 'main', command: ['/no/such/binary'] }]));
      const noimage = await phase('noimage', ['Failed'], 30_000);
      expect(noimage.status?.reason).toBe('ErrImagePull');
      expect(noimage.status?.containerStatuses?.[0]?.state?.waiting?.message).toMatch(/does-not-exist/);
      const badcmd = await phase('badcmd', ['Failed'], 30_000);
      const terminated = badcmd.status?.containerStatuses?.[0]?.state?.terminated;
      expect(terminated?.reason).toBe('StartError');
      expect(terminated?.message).toMatch(/no\/such\/binary/);
      const events = await kube.core.listNamespacedEvent({
        namespace: ns,
        fieldSelector: 'involvedObject.name=badcmd,type=Warning',
      });
      expect(events.items.some((e) => /failed to start container/.test(e.message ?? ''))).toBe(true);
    });

    it('runs `kubectl exec` through the API server: stdin, separate stdout/stderr and the exit code', async () => {
      await create(pod('shell', [{ name: 'main', command: ['sleep', '300'] }]));
      await phase('shell', ['Running']);
      const res = await kubectl(
        ['-n', ns, 'exec', '-i', 'shell', '--', 'sh', '-c', 'cat; echo to-stderr >&2; exit 3'],
        {
          input: 'hi\n',
        },
      );
      expect(res.stdout).toBe('hi\n');
      expect(res.stderr).toContain('to-stderr');
      expect(res.stderr).toContain('command terminated with exit code 3');
      expect(res.code).toBe(3);
      const ok = await kubectl(['-n', ns, 'exec', 'shell', '--', 'echo', 'fine']);
      expect([ok.code, ok.stdout]).toEqual([0, 'fine\n']);
      const missing = await kubectl(['-n', ns, 'exec', 'shell', '-c', 'nope', '--', 'true']);
      expect(missing.code).not.toBe(0);
      expect(missing.stderr).toMatch(/container nope is not valid/);
    });

    it('gives `kubectl exec -it` a real tty', async () => {
      await phase('shell', ['Running']);
      // `script` provides the pseudo-terminal kubectl needs for -t.
      const env = readTestEnv();
      const res = await runScript(
        `${env.kubectl} --kubeconfig ${env.kubeconfig} -n ${ns} exec -it shell -- sh -c 'tty; exit 4'`,
      );
      expect(res.output).toMatch(/\/dev\/pts\/\d+/);
      expect(res.output).toContain('command terminated with exit code 4');
    });

    (backend.attach ? it : it.skip)(
      'streams the main process with `kubectl attach` and reports its exit code',
      async () => {
        await create(
          pod('attached', [
            { name: 'main', command: ['sh', '-c', 'sleep 2; for i in 1 2 3; do echo tick $i; sleep 1; done; exit 6'] },
          ]),
        );
        await phase('attached', ['Running']);
        const res = await kubectl(['-n', ns, 'attach', 'attached'], { timeoutMs: 30_000 });
        expect(res.stdout).toContain('tick 3');
        expect(res.code).toBe(6);
      },
    );

    it('deletes the containers and then the object on `kubectl delete pod`', async () => {
      await create(pod('doomed', [{ name: 'main', command: ['sleep', '300'] }]));
      await phase('doomed', ['Running']);
      expect(await objectsOf('doomed')).toBe(backend.objectsPerPod);
      const res = await kubectl(['-n', ns, 'delete', 'pod', 'doomed', '--wait=true', '--timeout=60s']);
      expect(res.code).toBe(0);
      expect(await objectsOf('doomed')).toBe(0);
    });

    it("serves its pods' cpu/memory through the API server: /stats/summary, /metrics/resource and `kubectl top pod`", async () => {
      // The default --address is a non-loopback one: the API server refuses to proxy to loopback addresses.
      const n = await kube.core.readNode({ name: nodeName });
      const internal = n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
      expect(internal).toBeDefined();
      expect(internal).not.toMatch(/^127\./);
      // Busy on one core, and holding 8 MiB in a shell variable so that `kubectl top` (whole Mi) shows memory too (the
      // trailing echo keeps the shell, and so the variable, alive: sh would exec its last command in its place).
      const hold = 'm=$(head -c 8388608 /dev/zero | tr "\\0" x); yes > /dev/null; echo ${#m}';
      await create(pod('busy', [{ name: 'main', command: ['sh', '-c', hold] }]));
      await phase('busy', ['Running']);
      const raw = async (path: string) => {
        const res = await kubectl(['get', '--raw', `/api/v1/nodes/${nodeName}/proxy${path}`]);
        if (res.code !== 0) throw new Error(`kubectl get --raw ${path}: ${res.stderr}`);
        return res.stdout;
      };
      interface Figures {
        cpu?: { usageCoreNanoSeconds?: number };
        memory?: { workingSetBytes?: number };
      }
      const summary = await eventually(
        'busy pod figures in /stats/summary',
        async () => {
          const doc = JSON.parse(await raw('/stats/summary')) as {
            node: Figures & { nodeName: string };
            pods: (Figures & {
              podRef: { name: string; namespace: string };
              containers: (Figures & { name: string })[];
            })[];
          };
          const busy = doc.pods.find((p) => p.podRef.name === 'busy' && p.podRef.namespace === ns);
          return (busy?.cpu?.usageCoreNanoSeconds ?? 0) > 0 ? { doc, busy: busy! } : undefined;
        },
        90_000,
      );
      expect(summary.doc.node.nodeName).toBe(nodeName);
      expect(summary.doc.node.cpu?.usageCoreNanoSeconds).toBeGreaterThanOrEqual(
        summary.busy.cpu!.usageCoreNanoSeconds!,
      );
      expect(summary.busy.memory?.workingSetBytes).toBeGreaterThan(0);
      expect(summary.busy.containers[0]).toMatchObject({ name: 'main' });
      const metrics = await raw('/metrics/resource');
      const sample = new RegExp(
        `^container_cpu_usage_seconds_total\\{container="main",pod="busy",namespace="${ns}"\\} ([0-9.e+-]+) \\d+$`,
        'm',
      ).exec(metrics);
      expect(Number(sample?.[1])).toBeGreaterThan(0);
      expect(metrics).toMatch(
        new RegExp(`^container_memory_working_set_bytes\\{container="main",pod="busy",namespace="${ns}"\\} [1-9]`, 'm'),
      );
      expect(metrics).toMatch(/^node_cpu_usage_seconds_total [0-9.e+-]+ \d+$/m);
      expect(metrics).toMatch(/^node_memory_working_set_bytes [1-9]/m);
      expect(metrics).toMatch(new RegExp(`^pod_cpu_usage_seconds_total\\{namespace="${ns}",pod="busy"\\} `, 'm'));
      expect(metrics).toMatch(/^scrape_error 0$/m);
      // The same figures through metrics-server (the cluster's aggregated metrics.k8s.io), which scrapes
      // /metrics/resource every 10 s and serves a pod once it has two scrapes of it.
      const top = await eventually(
        '`kubectl top pod busy` with figures',
        async () => {
          const res = await kubectl(['top', 'pod', 'busy', '-n', ns, '--no-headers']);
          const row = /^busy\s+(\d+)m\s+(\d+)Mi\s*$/m.exec(res.stdout);
          if (row) return { cpuMillis: Number(row[1]), memoryMi: Number(row[2]) };
          await sleep(2_000); // one kubectl per 2 s: metrics-server has news every 10 s at most
          throw new Error(`kubectl top pod: exit ${res.code}: ${res.stdout}${res.stderr}`);
        },
        90_000,
      );
      // `yes` keeps a core busy, shared with the rest of the machine: well above idle.
      expect(top.cpuMillis).toBeGreaterThan(50);
      expect(top.memoryMi).toBeGreaterThanOrEqual(4); // 8 MiB held; margin for how the backend counts the working set
      // kubectl rounds memory down to Mi; the API has the bytes (in Ki).
      const podMetrics = JSON.parse(
        await (async () => {
          const res = await kubectl(['get', '--raw', `/apis/metrics.k8s.io/v1beta1/namespaces/${ns}/pods/busy`]);
          if (res.code !== 0) throw new Error(`metrics.k8s.io pods/busy: ${res.stderr}`);
          return res.stdout;
        })(),
      ) as { containers: { name: string; usage: { cpu: string; memory: string } }[] };
      expect(podMetrics.containers).toEqual([
        {
          name: 'main',
          usage: { cpu: expect.stringMatching(/^[1-9]\d*n$/), memory: expect.stringMatching(/^[1-9]\d*Ki$/) },
        },
      ]);
      await kube.core.deleteNamespacedPod({ namespace: ns, name: 'busy', gracePeriodSeconds: 0 });
    });

    it('adopts running pods after the node process is killed and keeps their status updating', async () => {
      await create(pod('survivor', [{ name: 'main', command: ['sh', '-c', 'sleep 6; exit 7'] }]));
      await phase('survivor', ['Running']);
      await node.kill();
      node.start();
      await node.waitReady(kube, new Date());
      const done = await phase('survivor', ['Failed', 'Succeeded'], 60_000);
      expect(done.status?.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(7);
      expect(await objectsOf('survivor')).toBe(backend.objectsPerPod); // adopted, not duplicated
    });

    backend.extra?.({ env: () => env, ns: () => ns, nodeName: () => nodeName, pod, create, phase });
  });
}

function runScript(command: string): Promise<{ output: string; code: number | null }> {
  return new Promise((resolve) => {
    const child = spawn('script', ['-qec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ output, code });
    });
    child.stdin.end();
  });
}

export async function fetchEngine(env: TestEnv, path: string): Promise<unknown> {
  const http = await import('node:http');
  const socketPath = env.engine.dockerHost.replace('unix://', '');
  return new Promise((resolve, reject) => {
    http
      .get({ socketPath, path: `/v1.41${path}` }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve(JSON.parse(body)));
      })
      .on('error', reject);
  });
}
