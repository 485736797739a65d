/** A throw-away namespace plus a virtual node process of its own, for one integration suite. */
import { randomBytes } from 'node:crypto';
import type { KubeClients } from '../../src/kube/client.js';
import { deleteNamespaceAndWait } from '../../scripts/lib/namespaces.js';
import { freePort, NodeProcess } from '../../scripts/lib/node-process.js';
import { readTestEnv } from './env.js';
import { createTestNamespace, testClients } from './kube.js';

export interface TestNode {
  kube: KubeClients;
  ns: string;
  node: NodeProcess;
  nodeName: string;
}

export async function startTestNode(prefix: string, extraArgs: string[] = [], port?: number): Promise<TestNode> {
  const env = readTestEnv();
  const kube = testClients();
  const nodeName = `evk-${prefix}-${randomBytes(3).toString('hex')}`;
  const ns = await createTestNamespace(kube, prefix);
  const node = new NodeProcess({
    nodeName,
    kubeconfig: env.kubeconfig,
    dockerHost: env.engine.dockerHost,
    infraImage: env.engine.images.busybox,
    port: port ?? (await freePort()),
    extraArgs: ['--delete-node-on-shutdown', ...extraArgs],
  });
  node.start();
  await node.waitReady(kube);
  return { kube, ns, node, nodeName };
}

/** Deletes the namespace, waits until its pods are gone (so no container is orphaned), then stops the node. */
export async function stopTestNode(t: TestNode | undefined): Promise<void> {
  if (!t) return;
  await deleteNamespaceAndWait(t.kube, t.ns);
  await t.node.stop();
}
