/**
 * The kubelet's resource figures for a virtual node: `/stats/summary` (the Summary API's JSON, which `kubectl top`
 * used to read) and `/metrics/resource` (the Prometheus text metrics-server scrapes). The node's own figures are the
 * sums over its pods — a virtual node has no machine of its own. Usage comes from `Backend.podUsage`; a backend that
 * cannot tell reports zeros, and `/metrics/resource` says so with `scrape_error 1` plus a comment with the reason,
 * so metrics-server sees "no data" rather than a pod that uses nothing.
 *
 * Metric names, labels and units are the kubelet's (pkg/kubelet/metrics/collectors/resource_metrics.go) and what
 * metrics-server's scraper decodes: cumulative CPU in core-seconds (counters), working set in bytes (gauges), each
 * sample with its millisecond timestamp.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { describeError } from '@eci-virtual/contract';
import type { Backend, ContainerUsage, PodRef, PodUsage } from '../backends/backend.js';

export interface UsageSnapshot {
  time: Date;
  pods: PodUsage[];
  /** Set when the figures are not real (backend without usage, or the backend call failed). */
  error?: string;
}

/** Reads usage for the running pods; never throws (a failure becomes `error`). */
export async function takeSnapshot(backend: Backend, pods: V1Pod[]): Promise<UsageSnapshot> {
  const time = new Date();
  const refs: PodRef[] = pods
    .filter((p) => p.status?.phase === 'Running' && p.metadata?.uid)
    .map((p) => ({ namespace: p.metadata!.namespace!, name: p.metadata!.name!, uid: p.metadata!.uid! }));
  if (!backend.podUsage) {
    return {
      time,
      pods: zeros(pods, refs, time),
      error: backend.usageUnsupported ?? `the ${backend.name} backend reports no usage`,
    };
  }
  try {
    const found = refs.length ? await backend.podUsage(refs) : [];
    return { time, pods: found, ...(backend.usageUnsupported ? { error: backend.usageUnsupported } : {}) };
  } catch (err) {
    return { time, pods: zeros(pods, refs, time), error: describeError(err) };
  }
}

function zeros(pods: V1Pod[], refs: PodRef[], time: Date): PodUsage[] {
  return refs.map((ref) => {
    const pod = pods.find((p) => p.metadata?.uid === ref.uid);
    return {
      ref,
      time,
      containers: (pod?.spec?.containers ?? []).map((c) => ({
        name: c.name,
        cpuUsageCoreNanoSeconds: 0,
        memoryWorkingSetBytes: 0,
      })),
    };
  });
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const podCpu = (p: PodUsage) => sum(p.containers.map((c) => c.cpuUsageCoreNanoSeconds));
const podMemory = (p: PodUsage) => sum(p.containers.map((c) => c.memoryWorkingSetBytes));

/**
 * Turns cumulative CPU counters into the Summary API's `usageNanoCores` (a rate) using the previous sample of the same
 * container; the first sample of a container has no rate yet, as with cAdvisor.
 */
export class CpuRates {
  private readonly last = new Map<string, { at: number; cpu: number }>();

  rate(key: string, at: Date, cpuNanoSeconds: number): number | undefined {
    const prev = this.last.get(key);
    this.last.set(key, { at: at.getTime(), cpu: cpuNanoSeconds });
    if (!prev || at.getTime() <= prev.at || cpuNanoSeconds < prev.cpu) return undefined;
    // ns of CPU per ms of wall time, times 1000 ms: nanocores
    return Math.round(((cpuNanoSeconds - prev.cpu) / (at.getTime() - prev.at)) * 1e3);
  }

  /** Forgets keys not seen in the latest snapshot (pods that ended). */
  retain(keys: Set<string>): void {
    for (const k of this.last.keys()) if (!keys.has(k)) this.last.delete(k);
  }
}

function cpuStats(rates: CpuRates, key: string, time: Date, cpu: number) {
  const nanoCores = rates.rate(key, time, cpu);
  return {
    time: time.toISOString(),
    usageCoreNanoSeconds: cpu,
    ...(nanoCores !== undefined ? { usageNanoCores: nanoCores } : {}),
  };
}

function memoryStats(time: Date, workingSet: number, usage?: number) {
  return { time: time.toISOString(), workingSetBytes: workingSet, usageBytes: usage ?? workingSet };
}

/** The Summary API document (stats/v1alpha1 `Summary`). */
export function summary(
  snap: UsageSnapshot,
  node: { name: string; startTime: Date },
  pods: V1Pod[],
  rates: CpuRates,
): unknown {
  const keys = new Set<string>(['node']);
  const byUid = new Map(snap.pods.map((p) => [p.ref.uid, p]));
  const podStats = pods.map((p) => {
    const uid = p.metadata?.uid ?? '';
    const usage = byUid.get(uid);
    const containers = (usage?.containers ?? []).map((c: ContainerUsage) => {
      const key = `${uid}/${c.name}`;
      keys.add(key);
      const status = p.status?.containerStatuses?.find((s) => s.name === c.name);
      const started = c.startTime?.toISOString() ?? status?.state?.running?.startedAt ?? p.status?.startTime;
      return {
        name: c.name,
        startTime: started ?? snap.time.toISOString(),
        cpu: cpuStats(rates, key, usage!.time, c.cpuUsageCoreNanoSeconds),
        memory: memoryStats(usage!.time, c.memoryWorkingSetBytes, c.memoryUsageBytes),
      };
    });
    keys.add(uid);
    return {
      podRef: { name: p.metadata?.name, namespace: p.metadata?.namespace, uid },
      startTime: p.status?.startTime ?? snap.time.toISOString(),
      containers,
      ...(usage
        ? {
            cpu: cpuStats(rates, uid, usage.time, podCpu(usage)),
            memory: memoryStats(
              usage.time,
              podMemory(usage),
              sum(usage.containers.map((c) => c.memoryUsageBytes ?? c.memoryWorkingSetBytes)),
            ),
          }
        : {}),
    };
  });
  const nodeCpu = sum(snap.pods.map(podCpu));
  const nodeMemory = sum(snap.pods.map(podMemory));
  const result = {
    node: {
      nodeName: node.name,
      startTime: node.startTime.toISOString(),
      systemContainers: [],
      cpu: cpuStats(rates, 'node', snap.time, nodeCpu),
      memory: memoryStats(snap.time, nodeMemory),
    },
    pods: podStats,
  };
  rates.retain(keys);
  return result;
}

const labels = (l: Record<string, string>) =>
  `{${Object.entries(l)
    .map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
    .join(',')}}`;

/** `/metrics/resource` in the Prometheus text format (version 0.0.4), as the kubelet serves it. */
export function resourceMetrics(snap: UsageSnapshot): string {
  const out: string[] = [];
  const family = (name: string, type: 'counter' | 'gauge', help: string, samples: string[]) => {
    out.push(
      `# HELP ${name} ${help.startsWith('1 if') ? '[ALPHA]' : '[STABLE]'} ${help}`,
      `# TYPE ${name} ${type}`,
      ...samples,
    );
  };
  const ms = (d: Date) => d.getTime();
  const seconds = (ns: number) => ns / 1e9;
  // Label order: `pod` second in both kinds of series. The kubelet declares container metrics' labels as
  // (container, pod, namespace) (pkg/kubelet/metrics/collectors/resource_metrics.go); the text format leaves the order
  // free, and the upstream virtual-kubelet e2e suite (test/e2e/basic.go TestGetMetricsResource) reads the pod name at
  // index 1 of both the container and the pod series, which the parsed order preserves.
  const containers = snap.pods.flatMap((p) =>
    p.containers.map((c) => ({ p, c, l: labels({ container: c.name, pod: p.ref.name, namespace: p.ref.namespace }) })),
  );
  const pods = snap.pods.map((p) => ({ p, l: labels({ namespace: p.ref.namespace, pod: p.ref.name }) }));
  if (snap.error) out.push(`# eci-virtual: usage figures are not available: ${snap.error.replace(/\n/g, ' ')}`);
  family(
    'container_cpu_usage_seconds_total',
    'counter',
    'Cumulative cpu time consumed by the container in core-seconds',
    containers.map(
      ({ p, c, l }) => `container_cpu_usage_seconds_total${l} ${seconds(c.cpuUsageCoreNanoSeconds)} ${ms(p.time)}`,
    ),
  );
  family(
    'container_memory_working_set_bytes',
    'gauge',
    'Current working set of the container in bytes',
    containers.map(({ p, c, l }) => `container_memory_working_set_bytes${l} ${c.memoryWorkingSetBytes} ${ms(p.time)}`),
  );
  family(
    'container_start_time_seconds',
    'gauge',
    'Start time of the container since unix epoch in seconds',
    containers
      .filter(({ c }) => c.startTime)
      .map(({ p, c, l }) => `container_start_time_seconds${l} ${c.startTime!.getTime() / 1000} ${ms(p.time)}`),
  );
  family('node_cpu_usage_seconds_total', 'counter', 'Cumulative cpu time consumed by the node in core-seconds', [
    `node_cpu_usage_seconds_total ${seconds(sum(snap.pods.map(podCpu)))} ${ms(snap.time)}`,
  ]);
  family('node_memory_working_set_bytes', 'gauge', 'Current working set of the node in bytes', [
    `node_memory_working_set_bytes ${sum(snap.pods.map(podMemory))} ${ms(snap.time)}`,
  ]);
  family(
    'pod_cpu_usage_seconds_total',
    'counter',
    'Cumulative cpu time consumed by the pod in core-seconds',
    pods.map(({ p, l }) => `pod_cpu_usage_seconds_total${l} ${seconds(podCpu(p))} ${ms(p.time)}`),
  );
  family(
    'pod_memory_working_set_bytes',
    'gauge',
    'Current working set of the pod in bytes',
    pods.map(({ p, l }) => `pod_memory_working_set_bytes${l} ${podMemory(p)} ${ms(p.time)}`),
  );
  family('scrape_error', 'gauge', '1 if there was an error while getting container metrics, 0 otherwise', [
    `scrape_error ${snap.error ? 1 : 0}`,
  ]);
  return out.join('\n') + '\n';
}
