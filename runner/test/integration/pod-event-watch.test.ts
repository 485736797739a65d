/**
 * The controller's pod event watch (controller/jobs/pod-event-watch.ts) against the real API server: it answers for a
 * pod created after its run began with exactly what a LIST of the pod's events returns (the scheduler's own
 * FailedScheduling included), keeps a repeated event once, and sends the caller back to a LIST for a pod older than
 * its run, a forgotten pod, or when it is not running.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CoreV1Event, V1Pod } from '@kubernetes/client-node';
import type { KubeClients } from '../../src/kube/client.js';
import { createLogger } from '../../src/observability/logger.js';
import { PodEventWatch, START_MARGIN_MS, type PodRefForEvents } from '../../src/controller/jobs/pod-event-watch.js';
import { readPodEvents } from '../../src/controller/jobs/pod-events.js';
import { createTestNamespace, deleteNamespace, eventually, testClients } from '../harness/kube.js';

jest.setTimeout(90_000);

describe('pod event watch', () => {
  let kube: KubeClients;
  let ns: string;
  let watch: PodEventWatch;
  const term = new AbortController();
  let running: Promise<void>;

  /** A pod no node can take: the scheduler writes FailedScheduling events about it. */
  const createPod = async (name: string): Promise<PodRefForEvents> => {
    const body: V1Pod = {
      metadata: { name },
      spec: { nodeSelector: { 'eci-virtual.test/none': 'true' }, containers: [{ name: 'c', image: 'none:1' }] },
    };
    const pod = await kube.core.createNamespacedPod({ namespace: ns, body });
    return {
      name,
      uid: pod.metadata!.uid!,
      createdAt: new Date(pod.metadata!.creationTimestamp!).toISOString(),
    };
  };
  const event = (pod: PodRefForEvents, name: string, reason: string): CoreV1Event => ({
    metadata: { name },
    involvedObject: { kind: 'Pod', name: pod.name, namespace: ns, uid: pod.uid },
    reason,
    message: `${reason} for ${pod.name}`,
    type: 'Normal',
    count: 1,
    firstTimestamp: new Date(),
    lastTimestamp: new Date(),
    source: { component: 'pod-event-watch-test' },
  });

  beforeAll(async () => {
    kube = testClients();
    ns = await createTestNamespace(kube, 'evwatch');
    watch = new PodEventWatch({ kube, namespace: ns, log: createLogger({}, { level: 'warn' }) });
  });

  afterAll(async () => {
    term.abort();
    await running;
    await deleteNamespace(kube, ns);
  });

  it('answers only for pods created after its run began, with what a LIST returns', async () => {
    const before = await createPod('before');
    expect(watch.eventsOf(before)).toBeUndefined(); // not running
    running = watch.run(term.signal);
    await eventually('the watch running', async () => (watch.running ? true : undefined));
    await sleep(START_MARGIN_MS + 1_000);
    expect(watch.eventsOf(before)).toBeUndefined(); // older than the run: LIST it

    const pod = await createPod('after');
    await kube.core.createNamespacedEvent({ namespace: ns, body: event(pod, 'after.pulled', 'Pulled') });
    const listed = await eventually('the scheduler and test events listed', async () => {
      const events = await readPodEvents(kube, ns, pod);
      return events.some((e) => e.reason === 'FailedScheduling') && events.some((e) => e.reason === 'Pulled')
        ? events
        : undefined;
    });
    await eventually('the watch to hold the same events', async () =>
      watch.eventsOf(pod)?.length === listed.length ? true : undefined,
    );
    expect(watch.eventsOf(pod)).toEqual(await readPodEvents(kube, ns, pod));

    // A repeat updates the Event object: still one event.
    await kube.core.replaceNamespacedEvent({
      name: 'after.pulled',
      namespace: ns,
      body: {
        ...event(pod, 'after.pulled', 'Pulled'),
        metadata: {
          name: 'after.pulled',
          resourceVersion: (await kube.core.readNamespacedEvent({ name: 'after.pulled', namespace: ns })).metadata!
            .resourceVersion!,
        },
        count: 2,
      },
    });
    await sleep(500);
    expect(watch.eventsOf(pod)!.filter((e) => e.reason === 'Pulled')).toHaveLength(1);

    // Another pod's events are not this pod's; a pod with events none yet has none.
    const quiet = await createPod('quiet');
    expect(watch.eventsOf({ ...quiet, uid: 'not-its-uid' })).toEqual([]);

    watch.forget(pod);
    expect(watch.eventsOf(pod)).toBeUndefined();
    await kube.core.createNamespacedEvent({ namespace: ns, body: event(pod, 'after.late', 'Killing') });
    await sleep(500);
    expect(watch.eventsOf(pod)).toBeUndefined(); // a late event does not make a forgotten pod look complete
  });

  it('stops with its term, and then answers for no pod', async () => {
    term.abort();
    await running;
    expect(watch.running).toBe(false);
    expect(watch.eventsOf({ name: 'x', createdAt: new Date(Date.now() + 60_000).toISOString() })).toBeUndefined();
  });
});
