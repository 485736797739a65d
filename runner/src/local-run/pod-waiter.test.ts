import { describe, expect, it } from '@jest/globals';
import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import {
  containerFailure,
  containerFailureMessage,
  containerLabel,
  pendingReason,
  startFailure,
} from './pod-waiter.js';

const status = (name: string, state: V1ContainerStatus['state'], extra: Partial<V1ContainerStatus> = {}) =>
  ({ name, image: 'x', imageID: '', ready: false, restartCount: 0, state, ...extra }) as V1ContainerStatus;
const pod = (containerStatuses: V1ContainerStatus[], extra: Partial<V1Pod['status']> = {}, nodeName = 'vn'): V1Pod => ({
  metadata: { name: 'eci-build-1' },
  spec: { containers: [], nodeName },
  status: { phase: 'Pending', containerStatuses, ...extra },
});

describe('pod waiter: why a job pod does not run', () => {
  it('names containers as the workflow does', () => {
    expect(containerLabel('svc-db')).toBe('services.db');
    expect(containerLabel('job')).toBe('the job container');
    expect(containerLabel('step-2')).toBe('the docker:// step container step-2');
  });

  it('blames a service that exited, before the job container it took down', () => {
    const f = containerFailure(
      pod([
        status('job', { terminated: { exitCode: 137, reason: 'Error' } }),
        status('svc-db', { terminated: { exitCode: 3, reason: 'Error' } }),
      ]),
    );
    expect(f).toEqual({ container: 'svc-db', problem: 'exited with code 3', ran: true });
    expect(containerFailureMessage('eci-build-1', f!, 'boot\nfatal: no config')).toBe(
      'services.db (container svc-db) in pod eci-build-1 exited with code 3; its last log lines:\n  | boot\n  | fatal: no config',
    );
  });

  it('fails on pull errors and crash loops, not on containers still being created', () => {
    expect(
      containerFailure(
        pod([status('job', { waiting: { reason: 'ImagePullBackOff', message: 'no such image nope:1' } })]),
      ),
    ).toEqual({ container: 'job', problem: 'ImagePullBackOff: no such image nope:1', ran: false });
    expect(containerFailure(pod([status('svc-a', { waiting: { reason: 'InvalidImageName' } })]))?.problem).toBe(
      'InvalidImageName',
    );
    expect(
      containerFailure(
        pod([status('svc-a', { running: {} }, { restartCount: 2, lastState: { terminated: { exitCode: 1 } } })]),
      )?.problem,
    ).toBe('exited with code 1');
    expect(containerFailure(pod([status('job', { waiting: { reason: 'ContainerCreating' } })]))).toBeUndefined();
    expect(containerFailure(pod([status('job', { running: {} })]))).toBeUndefined();
    expect(
      containerFailure(pod([], { initContainerStatuses: [status('init', { terminated: { exitCode: 0 } })] })),
    ).toBeUndefined();
  });

  it('says what a pod that is not running waits for', () => {
    expect(
      pendingReason({
        metadata: { name: 'p' },
        spec: { containers: [] },
        status: { conditions: [{ type: 'PodScheduled', status: 'False', message: '0/2 nodes are available' }] },
      }),
    ).toBe('not scheduled: 0/2 nodes are available');
    expect(pendingReason(pod([]))).toMatch(/scheduled on vn, which has reported no container status yet/);
    expect(
      pendingReason(
        pod([status('job', { running: {} }), status('svc-web', { waiting: { reason: 'ContainerCreating' } })]),
      ),
    ).toBe('scheduled on vn; waiting for services.web: ContainerCreating');
    expect(startFailure(pod([], { phase: 'Failed', reason: 'Evicted' }))).toBe(
      'pod eci-build-1 failed before the job started: Evicted',
    );
  });
});
