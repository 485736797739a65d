import { describe, expect, it } from '@jest/globals';
import type { V1Pod, Watch } from '@kubernetes/client-node';
import { slimList, slimPod, slimWatch } from './slim-pod.js';

const pod = (): V1Pod => ({
  metadata: {
    name: 'p',
    namespace: 'ns',
    uid: 'u',
    labels: { a: 'b' },
    managedFields: [{ manager: 'kubectl', operation: 'Apply', fieldsV1: { 'f:spec': {} } }],
  },
  spec: { containers: [{ name: 'c', image: 'i' }] },
});

describe('slimPod', () => {
  it('drops managedFields and keeps what the node reads', () => {
    const p = slimPod(pod());
    expect(p.metadata?.managedFields).toBeUndefined();
    expect(p.metadata?.labels).toEqual({ a: 'b' });
    expect(p.spec?.containers[0]?.image).toBe('i');
  });

  it('slims list items and watch events before the informer sees them', async () => {
    const list = await slimList(async () => ({ items: [pod(), pod()], metadata: {} }))();
    expect(list.items.every((p) => p.metadata?.managedFields === undefined)).toBe(true);
    const seen: V1Pod[] = [];
    const inner = {
      watch: async (_path: string, _q: object, cb: (phase: string, obj: unknown, raw: unknown) => void) => {
        cb('ADDED', pod(), {});
        return new AbortController();
      },
    } as unknown as Watch;
    await slimWatch(inner).watch(
      '/api/v1/pods',
      {},
      (_phase, obj: V1Pod) => seen.push(obj),
      () => undefined,
    );
    expect(seen).toHaveLength(1);
    expect(seen[0]!.metadata?.managedFields).toBeUndefined();
  });
});
