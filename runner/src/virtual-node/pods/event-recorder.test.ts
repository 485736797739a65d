import { describe, expect, it } from '@jest/globals';
import type { CoreV1Event } from '@kubernetes/client-node';
import type { KubeClients } from '../../kube/client.js';
import { createLogger } from '../../observability/logger.js';
import { EventRecorder, KUBELET_EVENT_LIMITS } from './event-recorder.js';

const log = createLogger({}, { level: 'error' });
const ref = { namespace: 'ci', name: 'job-1', uid: 'u-1' };

function recorder(limits: { qps: number; burst: number; maxQueued: number }, writeMs = 0) {
  const written: { body: CoreV1Event; at: number }[] = [];
  const kube = {
    core: {
      createNamespacedEvent: async ({ body }: { body: CoreV1Event }) => {
        // Infinity: a write that never answers.
        if (writeMs) await new Promise((res) => (writeMs === Infinity ? undefined : setTimeout(res, writeMs)));
        written.push({ body, at: performance.now() });
        return body;
      },
    },
  } as unknown as KubeClients;
  return { r: new EventRecorder(kube, 'node-1', log, limits), written };
}

describe('EventRecorder pacing', () => {
  it("defaults to the kubelet's eventRecordQPS 50 and eventBurst 100", () => {
    expect(KUBELET_EVENT_LIMITS).toMatchObject({ qps: 50, burst: 100 });
  });

  it('writes a burst at once, then at the rate, keeping when each event happened', async () => {
    const { r, written } = recorder({ qps: 100, burst: 3, maxQueued: 100 });
    const t0 = performance.now();
    for (let i = 0; i < 6; i++) r.record(ref, { type: 'Normal', reason: `R${i}`, message: 'm' });
    expect(written.map((w) => w.body.reason)).toEqual(['R0', 'R1', 'R2']);
    expect(r.queued).toBe(3);
    while (written.length < 6 && performance.now() - t0 < 2_000) await new Promise((res) => setTimeout(res, 5));
    expect(written.map((w) => w.body.reason)).toEqual(['R0', 'R1', 'R2', 'R3', 'R4', 'R5']);
    // 3 more at 100/s take at least ~20 ms after the burst.
    expect(written[5]!.at - t0).toBeGreaterThanOrEqual(15);
    // The event's time is when it was recorded, not when it was written.
    expect(new Date(written[5]!.body.firstTimestamp!).getTime()).toBeLessThanOrEqual(Date.now() - 10);
  });

  it('drops new events when the queue is full, and counts them', () => {
    const { r, written } = recorder({ qps: 1, burst: 1, maxQueued: 2 });
    for (let i = 0; i < 5; i++) r.record(ref, { type: 'Normal', reason: `R${i}`, message: 'm' });
    expect(written).toHaveLength(1);
    expect(r.queued).toBe(2);
    expect(r.dropped).toBe(2);
    r.close();
  });
});

describe('EventRecorder.settled', () => {
  it("resolves once every event of the pod is written, paced or in flight, whatever other pods' events wait", async () => {
    const { r, written } = recorder({ qps: 100, burst: 1, maxQueued: 100 }, 20);
    const other = { namespace: 'ci', name: 'job-2', uid: 'u-2' };
    for (let i = 0; i < 3; i++) r.record(ref, { type: 'Normal', reason: `R${i}`, message: 'm' });
    for (let i = 0; i < 20; i++) r.record(other, { type: 'Normal', reason: `O${i}`, message: 'm' });
    await r.settled(ref.uid, 5_000);
    const mine = written.filter((w) => w.body.involvedObject.uid === ref.uid).map((w) => w.body.reason);
    expect(mine).toEqual(['R0', 'R1', 'R2']);
    expect(written.filter((w) => w.body.involvedObject.uid === other.uid).length).toBeLessThan(20);
    r.close();
  });

  it('resolves at once for a pod with nothing to write, and after the limit when writes hang', async () => {
    const { r } = recorder({ qps: 50, burst: 10, maxQueued: 100 }, Infinity);
    const t0 = performance.now();
    await r.settled('nobody');
    expect(performance.now() - t0).toBeLessThan(20);
    r.record(ref, { type: 'Normal', reason: 'Killing', message: 'm' });
    await r.settled(ref.uid, 50);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(45);
  });
});
