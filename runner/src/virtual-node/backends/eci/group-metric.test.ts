import { describe, expect, it } from '@jest/globals';
import { usageFromMetric } from './group-metric.js';

describe('usageFromMetric', () => {
  const ref = { namespace: 'ci', name: 'p', uid: 'u' };
  it('maps the newest record per container', () => {
    const usage = usageFromMetric(ref, {
      Records: [
        {
          Timestamp: '2026-12-04T10:00:30Z',
          Containers: [{ Name: 'main', CPU: { UsageCoreNanoSeconds: 9 }, Memory: { WorkingSet: 8, UsageBytes: 10 } }],
        },
        { Timestamp: '2026-12-04T10:00:00Z', Containers: [{ Name: 'main', CPU: { UsageCoreNanoSeconds: 1 } }] },
      ],
    });
    expect(usage).toEqual({
      ref,
      time: new Date('2026-12-04T10:00:30Z'),
      containers: [{ name: 'main', cpuUsageCoreNanoSeconds: 9, memoryWorkingSetBytes: 8, memoryUsageBytes: 10 }],
    });
    expect(usageFromMetric(ref, { Records: [] })).toBeUndefined();
  });
});
