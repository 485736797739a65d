/** Namespace lifecycle for tests and benchmarks: a node must outlive its pods' deletion, so we wait for it. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeClients } from '../../src/kube/client.js';

export async function deleteNamespaceAndWait(kube: KubeClients, name: string, timeoutMs = 60_000): Promise<void> {
  await kube.core.deleteNamespace({ name }).catch(() => undefined);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (
      await kube.core.readNamespace({ name }).then(
        () => false,
        () => true,
      )
    )
      return;
    await sleep(500);
  }
}
