/**
 * Exec round trip: `kubectl exec` and an API-level exec (client-node → API server → our kubelet → engine) against
 * the baselines measured in the same run: `podman exec` (CLI) and a raw Engine API exec on the socket.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ENGINE_LABEL, virtualNodeToleration } from '@eci-virtual/contract';
import { loadKubeConfig, makeClients } from '../../src/kube/client.js';
import { KubeExec } from '../../src/kube/exec.js';
import { EngineClient } from '../../src/virtual-node/backends/docker/engine-client.js';
import { execInContainer } from '../../src/virtual-node/backends/docker/docker-streams.js';
import type { ClusterInfo } from '../lib/cluster.js';
import type { EngineEnv } from '../lib/engine.js';
import { stopNodeWithNamespace } from '../lib/node-with-namespace.js';
import { startBenchNode } from './bench-node.js';
import { waitForRunning } from '../../src/local-run/pod-waiter.js';
import { ms, percentile, report, sample } from './stats.js';

const run = promisify(execFile);

export async function execBench(cluster: ClusterInfo, engine: EngineEnv, n = 30): Promise<void> {
  const kube = makeClients(loadKubeConfig(cluster.kubeconfig));
  const t = await startBenchNode(cluster, engine, 'bench', []);
  const { ns, nodeName } = t;
  try {
    await kube.core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: 'target' },
        spec: {
          nodeSelector: { 'kubernetes.io/hostname': nodeName },
          tolerations: [virtualNodeToleration()],
          automountServiceAccountToken: false,
          containers: [
            { name: 'main', image: engine.images.busybox, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] },
          ],
        },
      },
    });
    await waitForRunning(kube, ns, 'target', { timeoutMs: 60_000 });
    const engineClient = new EngineClient(engine.dockerHost);
    const containers = await engineClient.json<{ Id: string }[]>('GET', '/containers/json', {
      query: { filters: JSON.stringify({ label: [`${ENGINE_LABEL.node}=${nodeName}`, `${ENGINE_LABEL.role}=app`] }) },
    });
    const id = containers[0]!.Id;
    const sink = { stdout: () => undefined, stderr: () => undefined };
    const apiExec = new KubeExec(kube);
    const kubectl = await sample(n, () =>
      run(cluster.kubectl, ['--kubeconfig', cluster.kubeconfig, '-n', ns, 'exec', 'target', '--', 'true']),
    );
    const podman = await sample(n, () => run('podman', ['--url', engine.dockerHost, 'exec', id, 'true']));
    const api = await sample(n, () => apiExec.exec({ namespace: ns, name: 'target' }, 'main', ['true'], sink));
    const raw = await sample(n, () =>
      execInContainer(engineClient, id, ['true'], { tty: false }, new AbortController().signal),
    );
    engineClient.close();
    const p50 = (v: number[]) => percentile(v, 50);
    report(
      'kubectl exec round trip p50 (via API server)',
      ms(p50(kubectl)),
      '≤ 50 ms',
      `podman exec p50 ${ms(p50(podman))} → ${(p50(kubectl) / p50(podman)).toFixed(2)}×`,
    );
    report(
      'API exec round trip p50 (client-node)',
      ms(p50(api)),
      undefined,
      `engine API exec p50 ${ms(p50(raw))} → ${(p50(api) / p50(raw)).toFixed(2)}×`,
    );
  } finally {
    // The node must outlive its pods' deletion, or their containers are orphaned in the engine.
    await stopNodeWithNamespace(t, 120_000);
  }
}
