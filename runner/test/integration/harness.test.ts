/**
 * Proves the test harness runs against a real control plane: the API server stores objects, the scheduler reports
 * that nothing can be scheduled (no nodes yet), and the controller manager's garbage collector removes dependents.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { CoreV1Event } from '@kubernetes/client-node';
import { apiStatus, type KubeClients } from '../../src/kube/client.js';
import { createTestNamespace, deleteNamespace, eventually, testClients } from '../harness/kube.js';

jest.setTimeout(120_000);

describe('local control plane', () => {
  let kube: KubeClients;
  let ns: string;

  beforeAll(async () => {
    kube = testClients();
    ns = await createTestNamespace(kube, 'harness');
  });
  afterAll(async () => deleteNamespace(kube, ns));

  it('reports the version it was built as', async () => {
    const res = await fetchVersion(kube);
    expect(res.gitVersion).toMatch(/^v1\.\d+\.\d+$/);
    expect(res.gitVersion).not.toContain('v0.0.0');
  });

  it('stores a ConfigMap and serves it back', async () => {
    await kube.core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'settings' }, data: { cache: 'on' } },
    });
    const cm = await kube.core.readNamespacedConfigMap({ namespace: ns, name: 'settings' });
    expect(cm.data).toEqual({ cache: 'on' });
  });

  it('marks a pod Unschedulable and records a FailedScheduling event while there are no nodes', async () => {
    const events: CoreV1Event[] = [];
    const req = await kube.watch.watch(
      `/api/v1/namespaces/${ns}/events`,
      {},
      (_type, obj: CoreV1Event) => events.push(obj),
      () => undefined,
    );
    try {
      await kube.core.createNamespacedPod({
        namespace: ns,
        body: {
          metadata: { name: 'waits' },
          spec: { containers: [{ name: 'main', image: 'busybox' }], nodeSelector: { type: 'virtual-kubelet' } },
        },
      });
      const condition = await eventually('PodScheduled=False', async () => {
        const pod = await kube.core.readNamespacedPod({ namespace: ns, name: 'waits' });
        return pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
      });
      expect(condition.reason).toBe('Unschedulable');
      const event = await eventually('a FailedScheduling event from the watch', async () =>
        events.find((e) => e.reason === 'FailedScheduling' && e.involvedObject.name === 'waits'),
      );
      expect(event.type).toBe('Warning');
      expect(event.message).toMatch(/no nodes available to schedule pods|0\/\d+ nodes are available/);
    } finally {
      req.abort();
    }
  });

  it('garbage-collects an owned object after its owner is deleted', async () => {
    const owner = await kube.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'owner' } } });
    await kube.core.createNamespacedConfigMap({
      namespace: ns,
      body: {
        metadata: {
          name: 'dependent',
          ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata!.uid! }],
        },
      },
    });
    await kube.core.deleteNamespacedConfigMap({ namespace: ns, name: 'owner', propagationPolicy: 'Background' });
    await eventually(
      'the dependent ConfigMap to be collected',
      async () => {
        try {
          await kube.core.readNamespacedConfigMap({ namespace: ns, name: 'dependent' });
          return undefined;
        } catch (err) {
          if (apiStatus(err) === 404) return true;
          throw err;
        }
      },
      60_000,
    );
  });
});

async function fetchVersion(kube: KubeClients): Promise<{ gitVersion: string }> {
  const { VersionApi } = await import('@kubernetes/client-node');
  return kube.config.makeApiClient(VersionApi).getCode();
}
