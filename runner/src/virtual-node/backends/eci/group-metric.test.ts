import { describe, expect, it } from '@jest/globals';
import eciSdk from '@alicloud/eci20180808';
import { conformance } from '../../../../test/eci-emulator/sdk-models.js';
import { usageFromMetric, type DescribeContainerGroupMetricResponse, type EciMetricRecord } from './group-metric.js';

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

/**
 * The names usageFromMetric reads are the SDK's (`@alicloud/eci20180808`, DescribeContainerGroupMetricResponseBody
 * and its Records/Containers/CPU/Memory classes): an answer built with the SDK's model classes and serialized by the
 * SDK itself (`toMap()`, wire names) yields the figures, and every field of our interfaces is a field of the model.
 */
describe('usageFromMetric against the official SDK model', () => {
  const ref = { namespace: 'ci', name: 'p', uid: 'u' };
  it('reads an answer the SDK serializes', () => {
    const body = new eciSdk.DescribeContainerGroupMetricResponseBody({
      containerGroupId: 'eci-1',
      requestId: 'r',
      records: [
        new eciSdk.DescribeContainerGroupMetricResponseBodyRecords({
          timestamp: '2026-12-04T10:00:30Z',
          containers: [
            new eciSdk.DescribeContainerGroupMetricResponseBodyRecordsContainers({
              name: 'main',
              CPU: new eciSdk.DescribeContainerGroupMetricResponseBodyRecordsContainersCPU({
                usageCoreNanoSeconds: 7_000,
              }),
              memory: new eciSdk.DescribeContainerGroupMetricResponseBodyRecordsContainersMemory({
                workingSet: 4096,
                usageBytes: 8192,
              }),
            }),
          ],
        }),
      ],
    });
    const wire = body.toMap() as DescribeContainerGroupMetricResponse;
    expect(usageFromMetric(ref, wire)).toEqual({
      ref,
      time: new Date('2026-12-04T10:00:30Z'),
      containers: [
        { name: 'main', cpuUsageCoreNanoSeconds: 7_000, memoryWorkingSetBytes: 4096, memoryUsageBytes: 8192 },
      ],
    });
  });

  it('declares only fields the model has, with the model types', () => {
    const cpu = { UsageCoreNanoSeconds: 1, UsageNanoCores: 1, Limit: 1, Load: 1 };
    const memory = { WorkingSet: 1, UsageBytes: 1, Rss: 1, AvailableBytes: 1, Cache: 1 };
    // Every field of the product's interfaces, set (the type annotation keeps this list in step with them).
    const full: Required<DescribeContainerGroupMetricResponse> = {
      ContainerGroupId: 'eci-1',
      Records: [
        {
          Timestamp: '2026-12-04T10:00:30Z',
          CPU: cpu,
          Memory: memory,
          Containers: [{ Name: 'main', CPU: cpu, Memory: memory }],
        } satisfies Required<EciMetricRecord>,
      ],
    };
    const { unknown, mismatched } = conformance(eciSdk.DescribeContainerGroupMetricResponseBody, full);
    expect({ unknown, mismatched }).toEqual({ unknown: [], mismatched: [] });
  });
});
