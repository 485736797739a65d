import { describe, expect, it } from '@jest/globals';
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { virtualNodeToleration } from '@eci-virtual/contract';
import { createLogger } from '../../observability/logger.js';
import { bindStalledPods, stalledFor, type BinderDeps } from './stalled-pod-binder.js';

const NOW = Date.parse('2026-12-06T10:00:00Z');
const ago = (s: number) => new Date(NOW - s * 1000);

const pod = (
  name: string,
  createdSecondsAgo: number,
  conditions?: NonNullable<V1Pod['status']>['conditions'],
): V1Pod => ({
  metadata: { name, creationTimestamp: ago(createdSecondsAgo), labels: { 'eci-virtual.dev/job-id': name.slice(8) } },
  spec: {
    containers: [{ name: 'runner' }],
    nodeSelector: { type: 'virtual-kubelet' },
    tolerations: [virtualNodeToleration()],
  },
  ...(conditions ? { status: { conditions } } : {}),
});
const node = (name: string, ready = true): V1Node => ({
  metadata: { name, labels: { type: 'virtual-kubelet' } },
  status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});

function fakeKube(pods: V1Pod[], nodes: V1Node[], refuse: Record<string, number> = {}) {
  const bindings: { pod: string; node: string }[] = [];
  const lists: unknown[] = [];
  const core = {
    listNamespacedPod: async (req: unknown) => {
      lists.push(req);
      return { items: pods };
    },
    listNode: async () => ({ items: nodes }),
    createNamespacedPodBinding: async (req: { name: string; body: { target: { name: string } } }) => {
      const code = refuse[req.name];
      if (code) throw Object.assign(new Error(`HTTP ${code}`), { code });
      bindings.push({ pod: req.name, node: req.body.target.name });
      return {};
    },
  };
  return { kube: { core } as unknown as BinderDeps['kube'], bindings, lists };
}

const deps = (kube: BinderDeps['kube'], over: Partial<BinderDeps> = {}): BinderDeps => ({
  kube,
  namespace: 'jobs',
  log: createLogger({}, { level: 'error' }),
  stallSeconds: 20,
  podsOn: () => 0,
  ...over,
});

describe('stalledFor', () => {
  it('counts from creation when the scheduler never looked, from the verdict when it said Unschedulable', () => {
    expect(stalledFor(pod('eci-job-1', 25), NOW, 20_000)).toBe(25_000);
    expect(stalledFor(pod('eci-job-1', 5), NOW, 20_000)).toBeUndefined();
    const unschedulable = (s: number) => [
      { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', lastTransitionTime: ago(s) },
    ];
    expect(stalledFor(pod('eci-job-1', 100, unschedulable(30)), NOW, 20_000)).toBeUndefined();
    expect(stalledFor(pod('eci-job-1', 100, unschedulable(45)), NOW, 20_000)).toBe(45_000);
    expect(stalledFor(pod('eci-job-1', 100, [{ type: 'PodScheduled', status: 'True' }]), NOW, 20_000)).toBeUndefined();
  });
});

describe('bindStalledPods', () => {
  it('binds only the pods stalled past the threshold, spreading them over Ready nodes', async () => {
    const f = fakeKube(
      [pod('eci-job-1', 30), pod('eci-job-2', 3), pod('eci-job-3', 40), pod('eci-job-4', 50)],
      [node('vk-a'), node('vk-b'), node('vk-x', false)],
    );
    const bound: string[] = [];
    expect(await bindStalledPods(deps(f.kube, { onBound: (p, n) => bound.push(`${p}@${n}`) }), NOW)).toBe(3);
    expect(f.bindings).toEqual([
      { pod: 'eci-job-1', node: 'vk-a' },
      { pod: 'eci-job-3', node: 'vk-b' },
      { pod: 'eci-job-4', node: 'vk-a' },
    ]);
    expect(bound).toHaveLength(3);
    expect(f.lists[0]).toMatchObject({
      namespace: 'jobs',
      fieldSelector: 'spec.nodeName=',
      labelSelector: 'app.kubernetes.io/managed-by=eci-virtual',
    });
  });

  it('loses quietly to the scheduler (409) and binds nothing when no node fits', async () => {
    const f = fakeKube([pod('eci-job-1', 30), pod('eci-job-2', 30)], [node('vk-a')], { 'eci-job-1': 409 });
    expect(await bindStalledPods(deps(f.kube), NOW)).toBe(1);
    expect(f.bindings).toEqual([{ pod: 'eci-job-2', node: 'vk-a' }]);
    const none = fakeKube([pod('eci-job-1', 30)], [node('vk-a', false)]);
    expect(await bindStalledPods(deps(none.kube), NOW)).toBe(0);
    expect(none.bindings).toEqual([]);
  });
});
