/**
 * The virtual node's Prometheus metrics, in one registry per process: backend call latency and errors, pod status
 * lag and pods by phase. (The controller's metrics are in controller/metrics.ts.)
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  registry: Registry;
  backendCallSeconds: Histogram<'backend' | 'op'>;
  backendCallErrors: Counter<'backend' | 'op' | 'code'>;
  podStatusLagSeconds: Histogram<never>;
  podsByPhase: Gauge<'phase'>;
}

export function createNodeMetrics(podPhases: () => Record<string, number>): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'eci_virtual_node_' });
  return {
    registry,
    backendCallSeconds: new Histogram({
      name: 'eci_virtual_backend_call_duration_seconds',
      help: 'Latency of backend calls by operation',
      labelNames: ['backend', 'op'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    backendCallErrors: new Counter({
      name: 'eci_virtual_backend_call_errors_total',
      help: 'Failed backend calls by operation and error code',
      labelNames: ['backend', 'op', 'code'],
      registers: [registry],
    }),
    podStatusLagSeconds: new Histogram({
      name: 'eci_virtual_pod_status_lag_seconds',
      help: 'Time from a backend change notification to the pod status being written',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
      registers: [registry],
    }),
    podsByPhase: new Gauge({
      name: 'eci_virtual_node_pods',
      help: 'Pods on this virtual node by phase',
      labelNames: ['phase'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [phase, count] of Object.entries(podPhases())) this.set({ phase }, count);
      },
    }),
  };
}
