/**
 * `yarn demo` — the main job on an embedded local cluster: brings up the control plane, the container engine and a
 * virtual node (each only if not already running), then runs the demo workflow (runner/examples/workflows/demo.yml)
 * with `eci-virtual run`: one pod per matrix leg on the virtual node, its steps through the pod's step agent over
 * one exec per container.
 * `yarn demo down` stops everything it started.
 */
import { describeError } from '@eci-virtual/contract';
import { join } from 'node:path';
import { buildBundle } from './lib/bundle.js';
import { ensureCluster, stopCluster } from './lib/cluster.js';
import { ensureEngine, stopEngine } from './lib/engine.js';
import { installDeps } from './lib/install-deps.js';
import { ensureLocalNode, LOCAL_NODE_NAME, stopLocalNode } from './lib/local-node.js';
import { repoRoot } from './lib/paths.js';
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
  await step('eci-virtual bundle', () => buildBundle());
  const engine = await step('container engine and registry', () => ensureEngine());
  const cluster = await step('Kubernetes control plane', () => ensureCluster(() => undefined));
  await step(`virtual node "${LOCAL_NODE_NAME}"`, () => ensureLocalNode(cluster, engine));
  const kubectl = (...args: string[]) =>
    $({ stdio: 'inherit' })`${cluster.kubectl} --kubeconfig ${cluster.kubeconfig} ${args}`;
  await kubectl('get', 'nodes', '-o', 'wide');
  console.error(`\n▸ eci-virtual run runner/examples/workflows/demo.yml\n`);
  const run = await $({
    cwd: repoRoot,
    stdio: 'inherit',
    nothrow: true,
    env: {
      ...process.env,
      KUBECONFIG: cluster.kubeconfig,
      ECI_VIRTUAL_DEFAULT_IMAGE: engine.images.debian,
      // The step agent (one exec per job container instead of one per step).
      ECI_VIRTUAL_AGENT_IMAGE: engine.images.agent,
      // Node.js for JavaScript actions, copied into each pod that runs one (as the runner's externals).
      ECI_VIRTUAL_NODE_RUNTIME_IMAGE: engine.images.nodeRuntime,
    },
  })`node ${join(repoRoot, 'runner', 'bin', 'eci-virtual.js')} run runner/examples/workflows/demo.yml --secret DEMO_TOKEN=not-really-secret`;
  if (run.exitCode !== 0) process.exitCode = run.exitCode ?? 1;
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
