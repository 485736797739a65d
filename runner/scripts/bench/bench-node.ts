/** The node + namespace every benchmark part measures against (one per part, removed afterwards). */
import { loadKubeConfig, makeClients } from '../../src/kube/client.js';
import type { ClusterInfo } from '../lib/cluster.js';
import type { EngineEnv } from '../lib/engine.js';
import { startNodeWithNamespace, type NodeWithNamespace } from '../lib/node-with-namespace.js';

export function startBenchNode(
  cluster: ClusterInfo,
  engine: EngineEnv,
  prefix = 'bench',
  extraArgs: string[] = [],
  env?: Record<string, string>,
): Promise<NodeWithNamespace> {
  return startNodeWithNamespace({
    kube: makeClients(loadKubeConfig(cluster.kubeconfig)),
    prefix,
    kubeconfig: cluster.kubeconfig,
    dockerHost: engine.dockerHost,
    infraImage: engine.images.busybox,
    extraArgs,
    ...(env ? { env } : {}),
  });
}
