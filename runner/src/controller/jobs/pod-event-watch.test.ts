import { describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeClients } from '../../kube/client.js';
import { createLogger } from '../../observability/logger.js';
import { PodEventWatch } from './pod-event-watch.js';

describe('PodEventWatch', () => {
  it('backs off while it cannot start, warns from the second failure on, and vouches for no pod meanwhile', async () => {
    const calls: number[] = [];
    const t0 = performance.now();
    const kube = {
      core: {
        listNamespacedEvent: () => {
          calls.push(performance.now() - t0);
          return Promise.reject(new Error('events is forbidden'));
        },
      },
    } as unknown as KubeClients;
    const lines: { level: string; failures: number }[] = [];
    const log = createLogger({}, { write: (l) => lines.push(JSON.parse(l) as { level: string; failures: number }) });
    const watch = new PodEventWatch({ kube, namespace: 'jobs', log, retryMs: 20 });
    const term = new AbortController();
    const running = watch.run(term.signal);
    for (const until = Date.now() + 10_000; calls.length < 4 && Date.now() < until;) await sleep(10);
    expect(watch.running).toBe(false);
    expect(watch.eventsOf({ name: 'p', createdAt: new Date(Date.now() + 60_000).toISOString() })).toBeUndefined();
    term.abort();
    await running;
    // Waits of 20, 40, 80 ms between the tries (timers may run late, never early).
    const gaps = calls.slice(1, 4).map((at, i) => at - calls[i]!);
    expect(gaps[0]).toBeGreaterThanOrEqual(18);
    expect(gaps[1]).toBeGreaterThanOrEqual(38);
    expect(gaps[2]).toBeGreaterThanOrEqual(76);
    expect(lines.map((l) => l.level)).toEqual(['info', ...lines.slice(1).map(() => 'warn')]);
    expect(lines.map((l) => l.failures)).toEqual(lines.map((_, i) => i + 1));
  });
});
