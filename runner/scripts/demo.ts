/**
 * `yarn demo` — the main job on an embedded local cluster: brings up the control plane, the container engine and a
 * virtual node (each only if not already running), then runs a job pod on the virtual node and shows its output.
 * `yarn demo down` stops everything it started.
 */
import { describeError } from '../src/errors.js';
import { loadKubeConfig, makeClients } from '../src/kube/client.js';
import { ensureCluster, stopCluster } from './lib/cluster.js';
import { ensureEngine, stopEngine } from './lib/engine.js';
import { installDeps } from './lib/install-deps.js';
import { ensureLocalNode, LOCAL_NODE_NAME, stopLocalNode } from './lib/local-node.js';
import { $ } from 'zx';

const step = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
  const started = Date.now();
  process.stderr.write(`▸ ${what} … `);
  const result = await fn();
  process.stderr.write(`done (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
  return result;
};

async function up(): Promise<void> {
  await step('system packages', () => installDeps());
  const engine = await step('container engine and registry', () => ensureEngine());
  const cluster = await step('Kubernetes control plane', () => ensureCluster(() => undefined));
  await step(`virtual node "${LOCAL_NODE_NAME}"`, () => ensureLocalNode(cluster, engine));
  const kubectl = (...args: string[]) =>
    $({ stdio: 'inherit' })`${cluster.kubectl} --kubeconfig ${cluster.kubeconfig} ${args}`;
  await kubectl('get', 'nodes', '-o', 'wide');
  const kube = makeClients(loadKubeConfig(cluster.kubeconfig));
  const name = `demo-${Date.now().toString(36)}`;
  await step(`job pod ${name} on the virtual node`, async () => {
    await kube.core.createNamespacedPod({
      namespace: 'default',
      body: {
        metadata: { name, labels: { app: 'eci-virtual-demo' } },
        spec: {
          restartPolicy: 'Never',
          terminationGracePeriodSeconds: 2,
          nodeSelector: { type: 'virtual-kubelet' },
          tolerations: [{ key: 'virtual-kubelet.io/provider', operator: 'Exists', effect: 'NoSchedule' }],
          containers: [
            {
              name: 'job',
              image: engine.images.debian,
              imagePullPolicy: 'IfNotPresent',
              command: [
                'bash',
                '-c',
                'echo "hello from $(hostname) on node $NODE"; git --version; node --version; uname -sr',
              ],
              env: [{ name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
            },
          ],
        },
      },
    });
    for (let i = 0; i < 600; i++) {
      const pod = await kube.core.readNamespacedPod({ namespace: 'default', name });
      if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return pod.status.phase;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`pod ${name} did not finish in 2 minutes`);
  });
  await kubectl('logs', name);
  await kube.core.deleteNamespacedPod({ namespace: 'default', name });
  console.error(
    `\nThe local cluster keeps running. export KUBECONFIG=${cluster.kubeconfig}; stop everything with: yarn demo down`,
  );
}

async function down(): Promise<void> {
  await step('virtual node', () => stopLocalNode());
  await step('Kubernetes control plane', () => stopCluster());
  await step('container engine and registry', () => stopEngine());
}

(process.argv[2] === 'down' ? down() : up()).catch((err: unknown) => {
  console.error(`\nerror: ${describeError(err)}`);
  process.exit(1);
});
