/** A throw-away namespace plus a virtual node process of its own, for one integration suite. */
import {
  startNodeWithNamespace,
  stopNodeWithNamespace,
  type NodeWithNamespace,
} from '../../scripts/lib/node-with-namespace.js';
import { readTestEnv } from './env.js';
import { testClients } from './kube.js';

export type TestNode = NodeWithNamespace;

export async function startTestNode(
  prefix: string,
  extraArgs: string[] = [],
  port?: number,
  nodeEnv?: Record<string, string>,
  /** `dockerHost`: another engine address than the test engine's (e.g. an image-alias-engine.ts front). */
  opts: { dockerHost?: string } = {},
): Promise<TestNode> {
  const env = readTestEnv();
  return startNodeWithNamespace({
    kube: testClients(),
    prefix,
    kubeconfig: env.kubeconfig,
    dockerHost: opts.dockerHost ?? env.engine.dockerHost,
    infraImage: env.engine.images.busybox,
    extraArgs,
    ...(port !== undefined ? { port } : {}),
    ...(nodeEnv ? { env: nodeEnv } : {}),
  });
}

export const stopTestNode = (t: TestNode | undefined): Promise<void> => stopNodeWithNamespace(t);
