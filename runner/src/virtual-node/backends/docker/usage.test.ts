import { describe, expect, it } from '@jest/globals';
import { usageFromStats } from './usage.js';

describe('usageFromStats', () => {
  it('takes cumulative CPU and the working set (usage less inactive file cache, cgroup v2 or v1)', () => {
    const v2 = usageFromStats('main', {
      cpu_stats: { cpu_usage: { total_usage: 2_500_000_000 } },
      memory_stats: { usage: 10_000_000, stats: { inactive_file: 4_000_000 } },
    });
    expect(v2).toEqual({
      name: 'main',
      cpuUsageCoreNanoSeconds: 2_500_000_000,
      memoryWorkingSetBytes: 6_000_000,
      memoryUsageBytes: 10_000_000,
    });
    const v1 = usageFromStats('main', { memory_stats: { usage: 5, stats: { total_inactive_file: 2 } } });
    expect(v1.memoryWorkingSetBytes).toBe(3);
    expect(usageFromStats('x', {}).cpuUsageCoreNanoSeconds).toBe(0);
  });
});
