/** A virtual node process plus a namespace of its own: the unit integration suites and benchmarks work in. */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { LABEL } from '@eci-virtual/contract';
import type { KubeClients } from '../../src/kube/client.js';
import { deleteNamespaceAndWait } from './namespaces.js';
import { freePort, NodeProcess } from './node-process.js';

export interface NodeWithNamespace {
  kube: KubeClients;
  ns: string;
  node: NodeProcess;
  nodeName: string;
}

export async function startNodeWithNamespace(opts: {
  kube: KubeClients;
  prefix: string;
  kubeconfig: string;
  dockerHost: string;
  infraImage: string;
  extraArgs?: string[];
  env?: Record<string, string>;
  port?: number;
}): Promise<NodeWithNamespace> {
  const { kube } = opts;
  const suffix = randomBytes(3).toString('hex');
  const nodeName = `evk-${opts.prefix}-${suffix}`;
  const ns = `${opts.prefix}-${suffix}`;
  await kube.core.createNamespace({ body: { metadata: { name: ns, labels: { [LABEL.test]: 'true' } } } });
  // Pods are refused until the controller manager has created the namespace's default ServiceAccount.
  for (let i = 0; i < 150; i++) {
    if (
      await kube.core.readNamespacedServiceAccount({ namespace: ns, name: 'default' }).then(
        () => true,
        () => false,
      )
    )
      break;
    await sleep(100);
  }
  const node = new NodeProcess({
    nodeName,
    kubeconfig: opts.kubeconfig,
    dockerHost: opts.dockerHost,
    infraImage: opts.infraImage,
    port: opts.port ?? (await freePort()),
    extraArgs: ['--delete-node-on-shutdown', ...(opts.extraArgs ?? [])],
    ...(opts.env ? { env: opts.env } : {}),
  });
  node.start();
  await node.waitReady(kube);
  return { kube, ns, node, nodeName };
}

/** Deletes the namespace, waits until its pods are gone (so no container is orphaned), then stops the node. */
export async function stopNodeWithNamespace(t: NodeWithNamespace | undefined, timeoutMs = 60_000): Promise<void> {
  if (!t) return;
  await deleteNamespaceAndWait(t.kube, t.ns, timeoutMs);
  await t.node.stop();
}
