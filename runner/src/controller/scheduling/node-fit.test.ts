import { describe, expect, it } from '@jest/globals';
import type { V1Node, V1Pod, V1Taint } from '@kubernetes/client-node';
import { VIRTUAL_NODE_TAINT_KEY, virtualNodeToleration } from '@eci-virtual/contract';
import { misfit, pickNode, unbindable } from './node-fit.js';

interface NodeOver {
  ready?: boolean;
  labels?: Record<string, string>;
  pods?: string;
  cordoned?: boolean;
  taints?: V1Taint[];
}
const node = (name: string, over: NodeOver = {}): V1Node => ({
  metadata: { name, labels: { type: 'virtual-kubelet', zone: 'a', ...over.labels } },
  spec: {
    taints: over.taints ?? [{ key: VIRTUAL_NODE_TAINT_KEY, value: 'eci', effect: 'NoSchedule' }],
    ...(over.cordoned ? { unschedulable: true } : {}),
  },
  status: {
    conditions: [{ type: 'Ready', status: over.ready === false ? 'False' : 'True' }],
    allocatable: { pods: over.pods ?? '200' },
  },
});

const pod = (spec: Partial<V1Pod['spec']> = {}): V1Pod => ({
  metadata: { name: 'eci-job-1' },
  spec: {
    containers: [{ name: 'runner' }],
    nodeSelector: { type: 'virtual-kubelet' },
    tolerations: [virtualNodeToleration()],
    ...spec,
  },
});

describe('unbindable', () => {
  it('takes a pod that selects virtual nodes with only a selector and tolerations', () => {
    expect(unbindable(pod())).toBeUndefined();
  });
  it('leaves to the scheduler what it cannot judge or need not place', () => {
    expect(unbindable(pod({ nodeName: 'vk-1' }))).toBe('already bound');
    expect(unbindable(pod({ affinity: { nodeAffinity: {} } }))).toMatch(/affinity/);
    expect(
      unbindable(
        pod({ topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' }] }),
      ),
    ).toMatch(/spread/);
    expect(unbindable(pod({ schedulerName: 'other' }))).toBe('scheduler other');
    expect(unbindable(pod({ nodeSelector: { disk: 'ssd' } }))).toBe('does not select virtual nodes');
    expect(unbindable({ ...pod(), metadata: { name: 'x', deletionTimestamp: new Date() } })).toBe('being deleted');
  });
});

describe('misfit', () => {
  it('accepts a Ready node with the labels, a tolerated taint and room', () => {
    expect(misfit(pod(), node('vk-1'), 3)).toBeUndefined();
  });
  it('names what is wrong with the node', () => {
    expect(misfit(pod(), node('vk-1', { ready: false }), 0)).toBe('not Ready');
    expect(misfit(pod(), node('vk-1', { cordoned: true }), 0)).toBe('cordoned');
    expect(misfit(pod({ nodeSelector: { type: 'virtual-kubelet', zone: 'b' } }), node('vk-1'), 0)).toBe(
      'label zone=b missing',
    );
    expect(misfit(pod({ tolerations: [] }), node('vk-1'), 0)).toBe(
      `taint ${VIRTUAL_NODE_TAINT_KEY}:NoSchedule not tolerated`,
    );
    expect(misfit(pod(), node('vk-1', { pods: '2' }), 2)).toBe('full (2/2 pods)');
  });
  it('matches tolerations as the scheduler does: Equal needs the value, a keyless Exists tolerates all', () => {
    const taints = [{ key: 'dedicated', value: 'ci', effect: 'NoExecute' }];
    expect(
      misfit(pod({ tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'other' }] }), node('n', { taints }), 0),
    ).toMatch(/not tolerated/);
    expect(
      misfit(pod({ tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'ci' }] }), node('n', { taints }), 0),
    ).toBeUndefined();
    expect(misfit(pod({ tolerations: [{ operator: 'Exists' }] }), node('n', { taints }), 0)).toBeUndefined();
    expect(
      misfit(pod({ tolerations: [] }), node('n', { taints: [{ key: 'soft', effect: 'PreferNoSchedule' }] }), 0),
    ).toBeUndefined();
  });
});

describe('pickNode', () => {
  it('picks the fitting node with the fewest pods of ours, then by name', () => {
    const nodes = [node('vk-c'), node('vk-a', { ready: false }), node('vk-b'), node('vk-d')];
    const counts: Record<string, number> = { 'vk-a': 0, 'vk-b': 5, 'vk-c': 1, 'vk-d': 1 };
    expect(pickNode(pod(), nodes, (n) => counts[n] ?? 0)?.metadata?.name).toBe('vk-c');
    expect(pickNode(pod(), [node('vk-a', { ready: false })], () => 0)).toBeUndefined();
  });
});
