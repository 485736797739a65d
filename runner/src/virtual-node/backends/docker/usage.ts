/**
 * Container resource usage from the engine's stats API (`GET /containers/{id}/stats?stream=false`), in the shape the
 * kubelet reports: cumulative CPU core-nanoseconds and the memory working set (usage less inactive file cache, as
 * cAdvisor computes it — cgroup v2 names it `inactive_file`, v1 `total_inactive_file`).
 */
import type { ContainerUsage } from '../backend.js';

/** The part of the engine's stats document we read (Docker and Podman's compatible API agree on these). */
export interface EngineStats {
  read?: string;
  cpu_stats?: { cpu_usage?: { total_usage?: number } };
  memory_stats?: { usage?: number; stats?: Record<string, number | undefined> };
}

export function usageFromStats(name: string, stats: EngineStats, startTime?: Date): ContainerUsage {
  const usage = stats.memory_stats?.usage ?? 0;
  const inactive = stats.memory_stats?.stats?.inactive_file ?? stats.memory_stats?.stats?.total_inactive_file ?? 0;
  return {
    name,
    cpuUsageCoreNanoSeconds: stats.cpu_stats?.cpu_usage?.total_usage ?? 0,
    memoryWorkingSetBytes: Math.max(0, usage - inactive),
    memoryUsageBytes: usage,
    ...(startTime ? { startTime } : {}),
  };
}
