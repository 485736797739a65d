/** Wraps a Backend so every call is timed and every failure counted, without the backends knowing about metrics. */
import { EciVirtualError } from '@eci-virtual/contract';
import type { Metrics } from '../../observability/metrics.js';
import type { Backend } from './backend.js';

const TIMED = [
  'createPod',
  'deletePod',
  'getPodStatus',
  'listPods',
  'containerLogs',
  'exec',
  'attach',
  'capacity',
] as const;

export function instrumentBackend(backend: Backend, metrics: Metrics): Backend {
  const wrapped: Backend = Object.create(backend) as Backend;
  for (const op of TIMED) {
    const original = (backend[op] as (...args: unknown[]) => Promise<unknown>).bind(backend);
    (wrapped as unknown as Record<string, unknown>)[op] = async (...args: unknown[]) => {
      const end = metrics.backendCallSeconds.startTimer({ backend: backend.name, op });
      try {
        return await original(...args);
      } catch (err) {
        const code = err instanceof EciVirtualError ? err.code : 'Internal';
        metrics.backendCallErrors.inc({ backend: backend.name, op, code });
        throw err;
      } finally {
        end();
      }
    };
  }
  return wrapped;
}
