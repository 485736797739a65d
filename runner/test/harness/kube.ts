/** Helpers for integration tests: clients for the test cluster, throw-away namespaces, polling with a deadline. */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { LABEL } from '@eci-virtual/contract';
import { loadKubeConfig, makeClients, type KubeClients } from '../../src/kube/client.js';
import { readTestEnv } from './env.js';

export function testClients(): KubeClients {
  return makeClients(loadKubeConfig(readTestEnv().kubeconfig));
}

export async function createTestNamespace(kube: KubeClients, prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await kube.core.createNamespace({ body: { metadata: { name, labels: { [LABEL.test]: 'true' } } } });
  // Pods are refused until the controller manager has created the namespace's default ServiceAccount.
  await eventually(`ServiceAccount ${name}/default`, async () =>
    (await kube.core.readNamespacedServiceAccount({ namespace: name, name: 'default' }).catch(() => undefined))
      ? true
      : undefined,
  );
  return name;
}

export async function deleteNamespace(kube: KubeClients, name: string): Promise<void> {
  await kube.core.deleteNamespace({ name }).catch(() => undefined);
}

/** Polls `fn` until it returns a value other than undefined; fails with `what` after `timeoutMs`. */
export async function eventually<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`,
      );
    }
    await sleep(200);
  }
}
