/** The autopilot's Prometheus metrics (registered on the registry it is given, e.g. the controller's). */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface AutopilotMetrics {
  passes: Counter<'outcome'>;
  decisions: Counter<'action' | 'outcome'>;
  sets: Gauge<'state'>;
  passSeconds: Histogram<never>;
}

export function createAutopilotMetrics(registry: Registry): AutopilotMetrics {
  const registers = [registry];
  return {
    passes: new Counter({
      name: 'eci_virtual_image_cache_autopilot_passes_total',
      help: 'Autopilot passes by outcome (ok, failed, cancelled)',
      labelNames: ['outcome'],
      registers,
    }),
    decisions: new Counter({
      name: 'eci_virtual_image_cache_autopilot_decisions_total',
      help: 'Autopilot decisions by action and outcome',
      labelNames: ['action', 'outcome'],
      registers,
    }),
    sets: new Gauge({
      name: 'eci_virtual_image_cache_autopilot_sets',
      help: 'Warm image sets the autopilot manages, by state',
      labelNames: ['state'],
      registers,
    }),
    passSeconds: new Histogram({
      name: 'eci_virtual_image_cache_autopilot_pass_seconds',
      help: 'Duration of one autopilot pass',
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60],
      registers,
    }),
  };
}
