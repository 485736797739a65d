import { describe, expect, it } from '@jest/globals';
import { containerState, podStatus } from './status-mapping.js';

describe('ECI status → pod status', () => {
  it('maps group phases, IPs and container states', () => {
    const s = podStatus({
      ContainerGroupId: 'eci-1',
      Status: 'Running',
      IntranetIp: '192.168.0.7',
      CreationTime: '2026-11-22T10:00:00Z',
      InitContainers: [{ Name: 'eci-hooks', Image: 'h', CurrentState: { State: 'Terminated', ExitCode: 0 } }],
      Containers: [
        {
          Name: 'runner',
          Image: 'r',
          RestartCount: 0,
          CurrentState: { State: 'Running', StartTime: '2026-11-22T10:00:02Z' },
        },
        { Name: 'job', Image: 'j', CurrentState: { State: 'Waiting', Reason: 'ErrImagePull', Message: 'not found' } },
      ],
    });
    expect(s.phase).toBe('Running');
    expect(s.podIP).toBe('192.168.0.7');
    expect(s.initContainers[0]).toMatchObject({ state: 'terminated', exitCode: 0, reason: 'Completed' });
    expect(s.containers[0]).toMatchObject({ state: 'running', startedAt: new Date('2026-11-22T10:00:02Z') });
    expect(s.containers[1]).toMatchObject({ state: 'waiting', reason: 'ErrImagePull', message: 'not found' });
  });

  it('fails a still-pending group whose image cannot be pulled, with the reason and the registry message', () => {
    const pending = (reason: string) =>
      podStatus({
        ContainerGroupId: 'eci-2',
        Status: 'Pending',
        Containers: [
          {
            Name: 'job',
            Image: 'r/x:1',
            CurrentState: { State: 'Waiting', Reason: reason, Message: 'manifest unknown' },
          },
        ],
      });
    expect(pending('ErrImagePull')).toMatchObject({
      phase: 'Failed',
      reason: 'ErrImagePull',
      message: 'container job: manifest unknown',
    });
    expect(pending('ImagePullBackOff').phase).toBe('Failed');
    expect(pending('ContainerCreating')).toMatchObject({ phase: 'Pending' });
    expect(pending('ContainerCreating').reason).toBeUndefined();
  });

  it('recognises OOM, failures and spot reclaim', () => {
    expect(
      containerState({ Name: 'a', Image: 'i', CurrentState: { State: 'Terminated', Reason: 'OOMKilled' } }),
    ).toMatchObject({ exitCode: 137, reason: 'OOMKilled' });
    expect(containerState({ Name: 'a', Image: 'i', CurrentState: { State: 'Terminated', ExitCode: 3 } })).toMatchObject(
      { exitCode: 3, reason: 'Error' },
    );
    expect(podStatus({ ContainerGroupId: 'x', Status: 'Expired' })).toMatchObject({
      phase: 'Failed',
      reason: 'SpotReclaimed',
    });
    expect(podStatus({ ContainerGroupId: 'x', Status: 'Scheduling' }).phase).toBe('Pending');
    expect(podStatus({ ContainerGroupId: 'x', Status: 'Succeeded' }).phase).toBe('Succeeded');
  });
});
