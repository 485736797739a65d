import { describe, expect, it } from '@jest/globals';
import { containerNamed, containerState, groupPhase, podStatus, TERMINAL_GROUP_STATES } from './status-mapping.js';

describe('ECI status → pod status', () => {
  it('maps every published group state to a pod phase', () => {
    const table: [string, boolean, string | undefined][] = [
      ['Scheduling', false, 'Pending'],
      ['Pending', false, 'Pending'],
      ['ScheduleFailed', false, 'Failed'],
      ['Running', true, 'Running'],
      ['Restarting', false, 'Running'],
      ['Updating', true, 'Running'],
      ['Updating', false, 'Pending'],
      ['Terminating', true, undefined],
      ['Succeeded', false, 'Succeeded'],
      ['Failed', false, 'Failed'],
      ['Expired', false, 'Failed'],
      ['SomethingNew', false, 'Pending'],
    ];
    for (const [status, running, phase] of table)
      expect([status, running, groupPhase(status, running)]).toEqual([status, running, phase]);
    expect([...TERMINAL_GROUP_STATES].sort()).toEqual(['Expired', 'Failed', 'ScheduleFailed', 'Succeeded']);
  });

  it('ends a ScheduleFailed group with the reason from its last Warning event', () => {
    const s = podStatus({
      ContainerGroupId: 'eci-9',
      Status: 'ScheduleFailed',
      Events: [
        { Type: 'Normal', Reason: 'Scheduling', Message: 'scheduling', LastTimestamp: '2026-12-04T10:00:00Z' },
        {
          Type: 'Warning',
          Reason: 'NoStock',
          Message: 'the zone has no stock of ecs.c6.large',
          LastTimestamp: '2026-12-04T10:00:01Z',
        },
      ],
      Containers: [{ Name: 'main', Image: 'x', CurrentState: { State: 'Waiting' } }],
    });
    expect(s).toMatchObject({
      phase: 'Failed',
      reason: 'ScheduleFailed',
      message: 'ECI could not schedule the container group: NoStock: the zone has no stock of ecs.c6.large',
    });
    expect(podStatus({ ContainerGroupId: 'x', Status: 'ScheduleFailed' }).message).toBe(
      'ECI could not schedule the container group',
    );
  });

  it('leaves a Terminating group to its container states', () => {
    const s = podStatus({
      ContainerGroupId: 'eci-t',
      Status: 'Terminating',
      Containers: [{ Name: 'main', Image: 'x', CurrentState: { State: 'Running' } }],
    });
    expect(s.phase).toBeUndefined();
    expect(s.containers[0]?.state).toBe('running');
  });

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

  it("takes an OOM kill from the group's events when the container state only says Error", () => {
    const ended = (name: string, exitCode: number) => ({
      Name: name,
      Image: 'i',
      CurrentState: { State: 'Terminated', ExitCode: exitCode, Reason: 'Error' },
    });
    const group = (message: string) =>
      podStatus({
        ContainerGroupId: 'eci-3',
        Status: 'Failed',
        Containers: [ended('job', 137), ended('job-sidecar', 137), ended('other', 1)],
        Events: [{ Type: 'Warning', Reason: 'OOMKilling', Message: message }],
      }).containers.map((c) => [c.name, c.reason, c.exitCode]);
    expect(group('Memory cgroup out of memory: killed the process of container job (memory limit 32 MiB)')).toEqual([
      ['job', 'OOMKilled', 137],
      ['job-sidecar', 'Error', 137],
      ['other', 'Error', 1],
    ]);
    // ECI's newer "Out of memory" names no container: every container that ended with 137 was killed by it.
    expect(group('Out of memory')).toEqual([
      ['job', 'OOMKilled', 137],
      ['job-sidecar', 'OOMKilled', 137],
      ['other', 'Error', 1],
    ]);
  });

  it('finds the container an event message names', () => {
    const names = ['c0', 'c0-sidecar', 'job'];
    expect(containerNamed('Started container c0', names)).toBe('c0');
    expect(containerNamed('Started container c0-sidecar', names)).toBe('c0-sidecar');
    expect(containerNamed('Error: failed to start container "job": no such file', names)).toBe('job');
    expect(containerNamed('killed the process of container job (memory limit 32 MiB)', names)).toBe('job');
    expect(containerNamed('Pulling image "c0:1"', names)).toBeUndefined();
    expect(containerNamed(undefined, names)).toBeUndefined();
  });
});
