import { describe, expect, it } from '@jest/globals';
import { podIP, runtimeState } from './inspect-status.js';

describe('runtimeState', () => {
  it('maps running, exited and never-started containers', () => {
    expect(runtimeState('a', 'img', undefined)).toMatchObject({ state: 'waiting', reason: 'ContainerCreating' });
    expect(
      runtimeState('a', 'img', {
        Id: 'x',
        State: { Status: 'running', Running: true, StartedAt: '2026-01-01T00:00:00Z' },
      }),
    ).toMatchObject({
      state: 'running',
      containerID: 'docker://x',
      startedAt: new Date('2026-01-01T00:00:00Z'),
    });
    expect(
      runtimeState('a', 'img', {
        Id: 'x',
        State: { Status: 'exited', ExitCode: 3, FinishedAt: '2026-01-01T00:00:01Z' },
      }),
    ).toMatchObject({
      state: 'terminated',
      exitCode: 3,
      reason: 'Error',
    });
    expect(
      runtimeState('a', 'img', { Id: 'x', State: { Status: 'exited', ExitCode: 137, OOMKilled: true } }),
    ).toMatchObject({ reason: 'OOMKilled' });
    expect(
      runtimeState('a', 'img', {
        Id: 'x',
        State: {
          Status: 'created',
          ExitCode: 0,
          Error: 'executable file `nope` not found',
          StartedAt: '0001-01-01T00:00:00Z',
        },
      }),
    ).toMatchObject({
      state: 'terminated',
      exitCode: 128,
      reason: 'StartError',
      message: 'executable file `nope` not found',
    });
  });

  it('finds the pod IP in either network field', () => {
    expect(
      podIP({ Id: 'x', NetworkSettings: { IPAddress: '', Networks: { podman: { IPAddress: '10.88.0.7' } } } }),
    ).toBe('10.88.0.7');
    expect(podIP({ Id: 'x', NetworkSettings: { IPAddress: '172.17.0.2' } })).toBe('172.17.0.2');
  });
});
