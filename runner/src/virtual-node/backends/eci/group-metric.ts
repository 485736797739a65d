/**
 * DescribeContainerGroupMetric → PodUsage. The published response (ECI API 2018-08-08, "DescribeContainerGroupMetric")
 * carries `Records[]`, each with a `Timestamp` and per-container `Containers[].{Name, CPU.UsageCoreNanoSeconds,
 * Memory.WorkingSet, Memory.UsageBytes}` — the same cAdvisor figures the kubelet reports, so they map one to one. The
 * newest record wins.
 *
 * Field names and types as in Alibaba's official SDK, `@alicloud/eci20180808` 2.0.3, model classes
 * DescribeContainerGroupMetricResponseBody (`ContainerGroupId`, `Records`), …BodyRecords (`Timestamp`, `CPU`,
 * `Memory`, `Containers`, plus `Disk`, `Filesystem`, `Network`, unused here), …BodyRecordsCPU / …RecordsContainersCPU
 * (`Limit`, `Load`, `UsageCoreNanoSeconds`, `UsageNanoCores`: numbers), …BodyRecordsMemory / …RecordsContainersMemory
 * (`AvailableBytes`, `Cache`, `Rss`, `UsageBytes`, `WorkingSet`: numbers) and …BodyRecordsContainers (`Name`,
 * `CPU`, `Memory`). group-metric.test.ts holds the interfaces below to those classes.
 */
import type { PodRef, PodUsage } from '../backend.js';

export interface EciMetricRecord {
  Timestamp?: string;
  CPU?: { UsageCoreNanoSeconds?: number; UsageNanoCores?: number; Limit?: number; Load?: number };
  Memory?: { WorkingSet?: number; UsageBytes?: number; Rss?: number; AvailableBytes?: number; Cache?: number };
  Containers?: {
    Name: string;
    CPU?: EciMetricRecord['CPU'];
    Memory?: EciMetricRecord['Memory'];
  }[];
}

export interface DescribeContainerGroupMetricResponse {
  ContainerGroupId?: string;
  Records?: EciMetricRecord[];
}

export function usageFromMetric(ref: PodRef, res: DescribeContainerGroupMetricResponse): PodUsage | undefined {
  const records = [...(res.Records ?? [])].sort((a, b) => (a.Timestamp ?? '').localeCompare(b.Timestamp ?? ''));
  const latest = records.at(-1);
  if (!latest) return undefined;
  return {
    ref,
    time: latest.Timestamp ? new Date(latest.Timestamp) : new Date(),
    containers: (latest.Containers ?? []).map((c) => ({
      name: c.Name,
      cpuUsageCoreNanoSeconds: c.CPU?.UsageCoreNanoSeconds ?? 0,
      memoryWorkingSetBytes: c.Memory?.WorkingSet ?? 0,
      ...(c.Memory?.UsageBytes !== undefined ? { memoryUsageBytes: c.Memory.UsageBytes } : {}),
    })),
  };
}
