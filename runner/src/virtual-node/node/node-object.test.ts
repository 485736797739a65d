import { describe, expect, it } from '@jest/globals';
import { defaultNodeConfig } from '../config.js';
import { buildNode, buildNodeStatus } from './node-object.js';

const capacity = { cpu: '8', memory: '32Gi', pods: '200' };

describe('buildNode', () => {
  it('carries the virtual-kubelet labels and the provider taint', () => {
    const node = buildNode(defaultNodeConfig({ nodeName: 'vn-1', labels: { zone: 'a' } }), capacity, 'docker');
    expect(node.metadata?.labels).toMatchObject({
      type: 'virtual-kubelet',
      'kubernetes.io/role': 'agent',
      'kubernetes.io/hostname': 'vn-1',
      zone: 'a',
    });
    expect(node.spec?.taints).toEqual([
      { key: 'virtual-kubelet.io/provider', value: 'eci-virtual', effect: 'NoSchedule' },
    ]);
  });

  it('reports capacity, the kubelet endpoint and Ready in status', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const status = buildNodeStatus(defaultNodeConfig({ kubeletPort: 10555 }), capacity, true, now, now);
    expect(status.capacity).toEqual(capacity);
    expect(status.daemonEndpoints?.kubeletEndpoint?.Port).toBe(10555);
    expect(status.addresses).toContainEqual({ type: 'InternalIP', address: '127.0.0.1' });
    expect(status.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    const notReady = buildNodeStatus(defaultNodeConfig(), capacity, false, now, now);
    expect(notReady.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');
    expect(notReady.images).toEqual([]);
  });

  it("lists the backend's cached images like the kubelet: largest first, at most 50", () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const images = Array.from({ length: 60 }, (_, i) => ({ names: [`img-${i}:1`], sizeBytes: i * 1000 }));
    const status = buildNodeStatus(defaultNodeConfig(), capacity, true, now, now, [{ names: ['tiny:1'] }, ...images]);
    expect(status.images).toHaveLength(50);
    expect(status.images![0]).toEqual({ names: ['img-59:1'], sizeBytes: 59_000 });
    expect(status.images!.some((i) => i.names?.includes('tiny:1'))).toBe(false);
  });
});
