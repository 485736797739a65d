import { describe, expect, it } from '@jest/globals';
import type { V1Pod } from '@kubernetes/client-node';
import type { ContainerRuntimeState } from '../backends/backend.js';
import { buildPodStatus, derivePhase, statusFingerprint, waitingContainers } from './pod-status.js';

const pod = (restartPolicy: string, init = false): V1Pod => ({
  metadata: { name: 'p', namespace: 'n', uid: 'u' },
  spec: {
    restartPolicy,
    containers: [
      { name: 'a', image: 'busybox' },
      { name: 'b', image: 'busybox' },
    ],
    ...(init ? { initContainers: [{ name: 'i', image: 'busybox' }] } : {}),
  },
});
const c = (name: string, state: ContainerRuntimeState['state'], exitCode?: number): ContainerRuntimeState => ({
  name,
  image: 'busybox',
  state,
  restartCount: 0,
  ...(exitCode === undefined ? {} : { exitCode }),
});

describe('derivePhase', () => {
  it('follows restartPolicy Never: all exit 0 → Succeeded, any non-zero → Failed', () => {
    expect(
      derivePhase(pod('Never'), { initContainers: [], containers: [c('a', 'terminated', 0), c('b', 'terminated', 0)] }),
    ).toBe('Succeeded');
    expect(
      derivePhase(pod('Never'), { initContainers: [], containers: [c('a', 'terminated', 0), c('b', 'terminated', 3)] }),
    ).toBe('Failed');
    expect(
      derivePhase(pod('Never'), { initContainers: [], containers: [c('a', 'running'), c('b', 'terminated', 3)] }),
    ).toBe('Running');
  });
  it('keeps Always pods Running after exits and fails Never pods whose init container failed', () => {
    expect(
      derivePhase(pod('Always'), {
        initContainers: [],
        containers: [c('a', 'terminated', 0), c('b', 'terminated', 0)],
      }),
    ).toBe('Running');
    expect(
      derivePhase(pod('Never', true), {
        initContainers: [c('i', 'terminated', 1)],
        containers: [c('a', 'waiting'), c('b', 'waiting')],
      }),
    ).toBe('Failed');
    expect(derivePhase(pod('Never'), waitingContainers(pod('Never')))).toBe('Pending');
  });
});

describe('buildPodStatus', () => {
  it('reports exit codes, readiness and IPs', () => {
    const s = buildPodStatus(
      pod('Never'),
      { podIP: '10.88.0.5', initContainers: [], containers: [c('a', 'running'), c('b', 'terminated', 3)] },
      '127.0.0.1',
    );
    expect(s.phase).toBe('Running');
    expect(s.podIP).toBe('10.88.0.5');
    expect(s.containerStatuses?.[1]?.state?.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
    expect(s.conditions?.find((x) => x.type === 'Ready')?.status).toBe('False');
    const done = buildPodStatus(
      pod('Never'),
      { initContainers: [], containers: [c('a', 'terminated', 0), c('b', 'terminated', 0)] },
      '127.0.0.1',
    );
    expect(done.phase).toBe('Succeeded');
    expect(done.conditions?.find((x) => x.type === 'Ready')?.reason).toBe('PodCompleted');
  });
  it('never regresses a terminated container or a terminal phase (restartPolicy Never)', () => {
    const p = pod('Never');
    p.status = buildPodStatus(
      p,
      { initContainers: [], containers: [c('a', 'terminated', 128), c('b', 'terminated', 0)] },
      '127.0.0.1',
    );
    expect(p.status.phase).toBe('Failed');
    const after = buildPodStatus(
      p,
      { initContainers: [], containers: [c('a', 'waiting'), c('b', 'terminated', 0)] },
      '127.0.0.1',
    );
    expect(after.phase).toBe('Failed');
    expect(after.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(128);
  });

  it('puts an image pull failure on the containers of that image, not on the first init container', () => {
    const p = pod('Never', true);
    p.spec!.containers[1]!.image = 'missing:1';
    const w = waitingContainers(p, 'ErrImagePull', 'Failed to pull image "missing:1"', 'missing:1');
    expect(w.initContainers.map((x) => x.reason)).toEqual(['PodInitializing']);
    expect(w.containers.map((x) => [x.name, x.reason, x.message])).toEqual([
      ['a', 'PodInitializing', undefined],
      ['b', 'ErrImagePull', 'Failed to pull image "missing:1"'],
    ]);
  });

  it('marks containers behind an init container as PodInitializing', () => {
    const w = waitingContainers(pod('Never', true));
    expect(w.initContainers[0]?.reason).toBe('ContainerCreating');
    expect(w.containers.map((x) => x.reason)).toEqual(['PodInitializing', 'PodInitializing']);
  });
});

describe('statusFingerprint', () => {
  const backend = { initContainers: [], containers: [c('a', 'running'), c('b', 'running')] };
  // The pod as the watch gives it (times as strings) and as a PATCH answer gives it (times as Dates).
  const fromWatch = { ...pod('Never'), status: { startTime: '2026-12-07T15:40:17Z' as unknown as Date } };
  const fromPatch = { ...pod('Never'), status: { startTime: new Date('2026-12-07T15:40:17Z') } };

  it('is the same for the same status whether its times came as strings or Dates', () => {
    const a = buildPodStatus(fromWatch, backend, '127.0.0.1', new Date('2026-12-07T15:40:20.123Z'));
    const b = buildPodStatus(fromPatch, backend, '127.0.0.1', new Date('2026-12-07T15:40:21.456Z'));
    expect(JSON.stringify(a.startTime)).not.toBe(JSON.stringify(b.startTime));
    expect(statusFingerprint(a)).toBe(statusFingerprint(b));
  });

  it('compares times in whole seconds, as the API server keeps them', () => {
    const at = (startTime: string) => statusFingerprint({ phase: 'Pending', startTime: startTime as unknown as Date });
    expect(at('2026-12-07T15:40:17.036Z')).toBe(at('2026-12-07T15:40:17Z'));
    expect(at('2026-12-07T15:40:18Z')).not.toBe(at('2026-12-07T15:40:17Z'));
  });

  it('changes with anything else: a container state, an exit code, a phase', () => {
    const running = statusFingerprint(buildPodStatus(fromWatch, backend, '127.0.0.1'));
    const exited = statusFingerprint(
      buildPodStatus(
        fromWatch,
        { initContainers: [], containers: [c('a', 'running'), c('b', 'terminated', 1)] },
        '127.0.0.1',
      ),
    );
    const waiting = statusFingerprint(
      buildPodStatus(
        fromWatch,
        { initContainers: [], containers: [c('a', 'running'), c('b', 'waiting')] },
        '127.0.0.1',
      ),
    );
    expect(new Set([running, exited, waiting]).size).toBe(3);
  });
});
