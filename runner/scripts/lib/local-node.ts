/**
 * The development virtual node: `eci-virtual node` as a background process (pid file, log file) registered as
 * "eci-virtual" in the local cluster, running pods on the local engine. Used by `yarn demo`.
 */
import { join } from 'node:path';
import { loadKubeConfig, makeClients } from '../../src/kube/client.js';
import { buildBundle } from './bundle.js';
import { ports, type ClusterInfo } from './cluster.js';
import type { EngineEnv } from './engine.js';
import { localDir, podHostAddress, repoRoot } from './paths.js';
import { runningPid, startDetached, stopProcess, waitUntil, type ManagedProcess } from './processes.js';

export const LOCAL_NODE_NAME = 'eci-virtual';
export const LOCAL_NODE_PORT = Number(process.env.ECI_VIRTUAL_NODE_PORT ?? 10250);

export const localNodeProcess: ManagedProcess = {
  name: 'virtual node',
  pidFile: join(localDir, 'node', 'node.pid'),
  logFile: join(localDir, 'node', 'node.log'),
  marker: 'eci-virtual.mjs',
};

export async function ensureLocalNode(cluster: ClusterInfo, engine: EngineEnv): Promise<void> {
  if (runningPid(localNodeProcess) === undefined) {
    await buildBundle();
    startDetached(localNodeProcess, process.execPath, [
      join(repoRoot, 'runner', 'dist', 'eci-virtual.mjs'),
      'node',
      '--node-name',
      LOCAL_NODE_NAME,
      '--port',
      String(LOCAL_NODE_PORT),
      '--kubeconfig',
      cluster.kubeconfig,
      '--docker-host',
      engine.dockerHost,
      '--infra-image',
      engine.images.busybox,
      '--metrics-port',
      String(LOCAL_NODE_PORT + 5),
      '--pod-api-server',
      `${podHostAddress}:${ports.apiserver}`,
    ]);
  }
  const kube = makeClients(loadKubeConfig(cluster.kubeconfig));
  await waitUntil(
    `node ${LOCAL_NODE_NAME} to be Ready`,
    async () => {
      const node = await kube.core.readNode({ name: LOCAL_NODE_NAME });
      return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
    },
    { timeoutMs: 30_000, proc: localNodeProcess },
  );
}

export async function stopLocalNode(): Promise<boolean> {
  return stopProcess(localNodeProcess, 15_000);
}
