/**
 * A pod spec the backend refuses (issue #19, runner/docs/bad-input.md): the node's real pod loop with a backend
 * that answers InvalidInput (Backend.createPod's contract: "Throws InvalidInput for pods the backend refuses (the
 * node turns that into a Failed pod with an event)"). The pod ends Failed at once — no retry — with the backend's
 * message in its status and an event, what was half-created is removed, and a pod next to it runs untouched.
 */
import { describe, expect, it } from '@jest/globals';
import type { V1Pod, V1PodStatus } from '@kubernetes/client-node';
import { InvalidInput } from '@eci-virtual/contract';
import type { KubeClients } from '../../kube/client.js';
import { createLogger } from '../../observability/logger.js';
import type { Backend, PodRef, PreparedPod } from '../backends/backend.js';
import { defaultNodeConfig } from '../config.js';
import type { EventRecorder, PodEvent } from './event-recorder.js';
import { PodController } from './pod-controller.js';

const pod = (name: string): V1Pod => ({
  metadata: { namespace: 'ci', name, uid: `uid-${name}` },
  spec: { nodeName: 'eci-virtual', containers: [{ name: 'main', image: 'alpine:3', command: ['true'] }] },
});

describe('a pod the backend refuses', () => {
  it('ends Failed with the backend message and an event, without retries, and leaves other pods alone', async () => {
    const creates: string[] = [];
    const deletes: string[] = [];
    const backend = {
      name: 'refusing',
      createPod: async (p: PreparedPod) => {
        creates.push(p.ref.name);
        if (p.ref.name === 'refused')
          throw new InvalidInput('CreateContainerGroup: InvalidParameter.Memory: 0.3 GiB is not a valid size');
      },
      deletePod: async (ref: PodRef) => void deletes.push(ref.name),
      // A created pod runs; one the backend never created has no status.
      getPodStatus: async (ref: PodRef) =>
        creates.includes(ref.name) && ref.name !== 'refused'
          ? {
              initContainers: [],
              containers: [{ name: 'main', state: 'running', restartCount: 0, image: 'alpine:3' }],
            }
          : undefined,
      onChange: () => undefined,
      onEvent: () => undefined,
    } as unknown as Backend;
    const statuses = new Map<string, V1PodStatus>();
    const kube = {
      core: {
        // PATCH .../pods/{name}/status (merge patch): the API server answers with the updated pod.
        patchNamespacedPodStatus: async (req: { name: string; body: { status: V1PodStatus } }) => {
          statuses.set(req.name, req.body.status);
          return { metadata: { name: req.name }, status: req.body.status };
        },
      },
    } as unknown as KubeClients;
    const events: (PodEvent & { pod: string })[] = [];
    const recorder = {
      record: (ref: PodRef, e: PodEvent) => events.push({ ...e, pod: ref.name }),
      settled: () => Promise.resolve(),
    };
    const controller = new PodController({
      kube,
      backend,
      config: defaultNodeConfig(),
      inputs: {
        configMap: async () => undefined,
        secret: async () => undefined,
        serviceAccountToken: async () => 't',
      },
      events: recorder as unknown as EventRecorder,
      log: createLogger({}, { level: 'error', write: () => undefined }),
    });
    // What the pod watch delivers for each pod bound to this node.
    const deliver = (p: V1Pod) => (controller as unknown as { onPod(p: V1Pod): void }).onPod(p);
    deliver(pod('refused'));
    deliver(pod('fine'));
    const until = async (ok: () => boolean) => {
      for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
    };
    await until(() => statuses.get('refused')?.phase === 'Failed' && creates.includes('fine'));

    const failed = statuses.get('refused')!;
    expect(failed.phase).toBe('Failed');
    expect(failed.reason).toBe('InvalidInput');
    expect(failed.message).toMatch(/InvalidParameter\.Memory: 0\.3 GiB is not a valid size/);
    expect(failed.containerStatuses?.[0]?.state?.waiting?.reason).toBe('InvalidInput');
    expect(events.filter((e) => e.pod === 'refused' && e.type === 'Warning')).toEqual([
      expect.objectContaining({ reason: 'Failed', message: expect.stringMatching(/InvalidParameter\.Memory/) }),
    ]);
    expect(creates.filter((n) => n === 'refused')).toHaveLength(1); // refused for good: not tried again
    expect(deletes).toEqual(['refused']); // nothing half-created is left in the backend
    expect(creates).toContain('fine');
    await until(() => statuses.get('fine')?.phase === 'Running');
    expect(statuses.get('fine')?.phase).toBe('Running');
  });
});
