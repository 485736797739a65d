import { describe, expect, it } from '@jest/globals';
import type { V1Pod } from '@kubernetes/client-node';
import type { Backend, PodUsage } from '../backends/backend.js';
import { CpuRates, resourceMetrics, summary, takeSnapshot } from './stats.js';

const pod: V1Pod = {
  metadata: { namespace: 'ci', name: 'job-1', uid: 'u1' },
  spec: { containers: [{ name: 'main' }] },
  status: { phase: 'Running', startTime: new Date('2026-12-04T10:00:00Z') },
};
const at = (s: number) => new Date(Date.UTC(2026, 11, 4, 10, 0, s));
const usage = (s: number, cpuNs: number): PodUsage => ({
  ref: { namespace: 'ci', name: 'job-1', uid: 'u1' },
  time: at(s),
  containers: [{ name: 'main', cpuUsageCoreNanoSeconds: cpuNs, memoryWorkingSetBytes: 3_000_000 }],
});

describe('resource stats', () => {
  it('renders /metrics/resource with the kubelet names, labels, units and millisecond timestamps', () => {
    const text = resourceMetrics({ time: at(10), pods: [usage(10, 1_500_000_000)] });
    expect(text).toContain('# TYPE container_cpu_usage_seconds_total counter');
    expect(text).toContain(
      `container_cpu_usage_seconds_total{container="main",pod="job-1",namespace="ci"} 1.5 ${at(10).getTime()}`,
    );
    expect(text).toContain(
      `container_memory_working_set_bytes{container="main",pod="job-1",namespace="ci"} 3000000 ${at(10).getTime()}`,
    );
    expect(text).toContain(`node_cpu_usage_seconds_total 1.5 ${at(10).getTime()}`);
    expect(text).toContain(`node_memory_working_set_bytes 3000000 ${at(10).getTime()}`);
    expect(text).toContain(`pod_cpu_usage_seconds_total{namespace="ci",pod="job-1"} 1.5`);
    expect(text).toContain(`pod_memory_working_set_bytes{namespace="ci",pod="job-1"} 3000000`);
    expect(text).toMatch(/^scrape_error 0$/m);
  });

  it('gives usageNanoCores from the previous sample in /stats/summary', () => {
    const rates = new CpuRates();
    const node = { name: 'n', startTime: at(0) };
    summary({ time: at(10), pods: [usage(10, 1e9)] }, node, [pod], rates);
    const doc = summary({ time: at(12), pods: [usage(12, 2e9)] }, node, [pod], rates) as {
      node: { cpu: { usageNanoCores: number; usageCoreNanoSeconds: number }; memory: { workingSetBytes: number } };
      pods: { containers: { cpu: { usageNanoCores: number } }[]; cpu: { usageNanoCores: number } }[];
    };
    expect(doc.node.cpu).toMatchObject({ usageCoreNanoSeconds: 2e9, usageNanoCores: 5e8 });
    expect(doc.node.memory.workingSetBytes).toBe(3_000_000);
    expect(doc.pods[0]!.cpu.usageNanoCores).toBe(5e8);
    expect(doc.pods[0]!.containers[0]!.cpu.usageNanoCores).toBe(5e8);
  });

  it('reports zeros and scrape_error 1 with the reason for a backend without usage', async () => {
    const backend = { name: 'x', usageUnsupported: 'no metrics API' } as unknown as Backend;
    const snap = await takeSnapshot(backend, [pod]);
    expect(snap.error).toBe('no metrics API');
    const text = resourceMetrics(snap);
    expect(text).toMatch(/^scrape_error 1$/m);
    expect(text).toContain('# eci-virtual: usage figures are not available: no metrics API');
    expect(text).toContain('container_cpu_usage_seconds_total{container="main",pod="job-1",namespace="ci"} 0');
  });
});
