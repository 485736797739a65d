/**
 * Issue #19's chaos run left one pod Terminating for good: the node's final delete (grace 0, after the backend had
 * removed the containers) met kube-apiserver stopped, was given up, and no later watch event brought the pod back.
 * The final delete now rides out an API server outage.
 */
import { describe, expect, it } from '@jest/globals';
import type { V1Pod } from '@kubernetes/client-node';
import type { KubeClients } from '../../kube/client.js';
import { createLogger } from '../../observability/logger.js';
import type { Backend, PodRef } from '../backends/backend.js';
import { defaultNodeConfig } from '../config.js';
import type { EventRecorder } from './event-recorder.js';
import { PodController } from './pod-controller.js';

const refused = () =>
  Object.assign(new Error('request to https://127.0.0.1:6443/api/v1/... failed, reason: connect ECONNREFUSED'), {
    name: 'FetchError',
    type: 'system',
    code: 'ECONNREFUSED',
  });

describe("the node's final delete of a pod", () => {
  it('is retried while the API server is away, so the pod object goes', async () => {
    const backendDeletes: string[] = [];
    const finalDeletes: { name: string; uid?: string }[] = [];
    let outage = 2;
    const backend = {
      name: 'fake',
      deletePod: async (ref: PodRef) => void backendDeletes.push(ref.name),
      onChange: () => undefined,
      onEvent: () => undefined,
    } as unknown as Backend;
    const kube = {
      core: {
        deleteNamespacedPod: async (req: { name: string; body: { preconditions: { uid: string } } }) => {
          finalDeletes.push({ name: req.name, uid: req.body.preconditions.uid });
          if (outage-- > 0) throw refused();
          return {};
        },
      },
    } as unknown as KubeClients;
    const controller = new PodController({
      kube,
      backend,
      config: defaultNodeConfig(),
      inputs: { configMap: async () => undefined, secret: async () => undefined, serviceAccountToken: async () => 't' },
      events: { record: () => undefined, settled: () => Promise.resolve() } as unknown as EventRecorder,
      log: createLogger({}, { level: 'error', write: () => undefined }),
    });
    const pod: V1Pod = {
      metadata: { namespace: 'ci', name: 'eci-job-1236', uid: 'uid-1236', deletionTimestamp: new Date() },
      spec: { nodeName: 'eci-virtual', containers: [{ name: 'main', image: 'alpine:3' }] },
    };
    (controller as unknown as { onPod(p: V1Pod): void }).onPod(pod);
    for (let i = 0; i < 300 && finalDeletes.length < 3; i++) await new Promise((r) => setTimeout(r, 10));
    expect(backendDeletes).toEqual(['eci-job-1236']);
    expect(finalDeletes).toEqual(Array.from({ length: 3 }, () => ({ name: 'eci-job-1236', uid: 'uid-1236' })));
  });
});
