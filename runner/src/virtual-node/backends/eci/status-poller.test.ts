import { describe, expect, it } from '@jest/globals';
import { createLogger } from '../../../observability/logger.js';
import type { BackendEvent, PodRef } from '../backend.js';
import type { EciClient } from './eci-client.js';
import type { EciContainerGroup, EciEvent } from './status-mapping.js';
import { StatusPoller } from './status-poller.js';

const log = createLogger({}, { level: 'error' });
const ref: PodRef = { namespace: 'ci', name: 'job-1', uid: 'u-1' };

const event = (Reason: string, Message: string, Type = 'Normal', Count = 1): EciEvent => ({
  Type,
  Reason,
  Message,
  Count,
  FirstTimestamp: '2026-11-22T10:00:00Z',
  LastTimestamp: '2026-11-22T10:00:00Z',
});

/** A poller over a fake DescribeContainerGroups that answers `groups` as they are at each call. */
function poller(groups: Map<string, EciContainerGroup>) {
  const client = {
    call: async (action: string, params: Record<string, unknown>) => {
      if (action !== 'DescribeContainerGroups') return {};
      const ids = JSON.parse(String(params.ContainerGroupIds)) as string[];
      return { ContainerGroups: ids.flatMap((id) => (groups.has(id) ? [structuredClone(groups.get(id)!)] : [])) };
    },
  } as unknown as EciClient;
  const events: BackendEvent[] = [];
  const changes: PodRef[] = [];
  const p = new StatusPoller({
    client,
    log,
    tags: [],
    intervalMs: 10,
    resyncMs: 60_000,
    onChange: (r) => changes.push(r),
    onEvent: (e) => events.push(e),
  });
  return { p, events, changes };
}

const group = (events: EciEvent[], status = 'Pending', state?: EciContainerGroup['Containers']): EciContainerGroup => ({
  ContainerGroupId: 'eci-1',
  Status: status,
  Containers: state ?? [
    { Name: 'job', Image: 'busybox', CurrentState: { State: 'Waiting', Reason: 'ContainerCreating' } },
  ],
  Events: events,
});

describe('StatusPoller events', () => {
  it('copies each ECI event once, as it appears, with the container it names', async () => {
    const groups = new Map([['eci-1', group([event('Scheduled', 'Successfully assigned eci-1 to zone k')])]]);
    const { p, events } = poller(groups);
    p.track(ref, 'eci-1');
    await p.pollOnce();
    expect(events.map((e) => e.reason)).toEqual(['Scheduled']);
    groups.set(
      'eci-1',
      group([event('Scheduled', 'Successfully assigned eci-1 to zone k'), event('Pulling', 'Pulling image "busybox"')]),
    );
    await p.pollOnce();
    await p.pollOnce(); // nothing new: nothing copied again
    // The same event seen again with a higher Count and a later LastTimestamp is still the same event.
    const pulling = {
      ...event('Pulling', 'Pulling image "busybox"', 'Normal', 3),
      LastTimestamp: '2026-11-22T10:00:09Z',
    };
    const terminated: EciContainerGroup['Containers'] = [
      { Name: 'job', Image: 'busybox', CurrentState: { State: 'Terminated', ExitCode: 137, Reason: 'OOMKilled' } },
    ];
    groups.set(
      'eci-1',
      group(
        [
          event('Scheduled', 'Successfully assigned eci-1 to zone k'),
          pulling,
          event('Pulled', 'Successfully pulled image "busybox" in 0.4s'),
          event('Started', 'Started container job'),
          event('OOMKilling', 'Memory cgroup out of memory: killed the process of container job', 'Warning'),
        ],
        'Failed',
        terminated,
      ),
    );
    await p.pollOnce();
    await p.pollOnce(); // a finished group is not polled again between resyncs…
    await p.pollOnce(undefined, true); // …and a resync copies nothing twice
    expect(events.map((e) => [e.type, e.reason, e.container])).toEqual([
      ['Normal', 'Scheduled', undefined],
      ['Normal', 'Pulling', undefined],
      ['Normal', 'Pulled', undefined],
      ['Normal', 'Started', 'job'],
      ['Warning', 'OOMKilling', 'job'],
    ]);
    expect(events.every((e) => e.ref === ref)).toBe(true);
  });

  it('copies a spot reclaim warning while the group still runs, then sees it Expired', async () => {
    const running: EciContainerGroup['Containers'] = [
      { Name: 'job', Image: 'busybox', CurrentState: { State: 'Running' } },
    ];
    const notice = event('SpotToBeReleased', 'Spot ECI will be released in 5 minutes', 'Warning');
    const groups = new Map([['eci-1', group([notice], 'Pending', running)]]);
    const { p, events, changes } = poller(groups);
    p.track(ref, 'eci-1');
    await p.pollOnce();
    expect(events.map((e) => [e.type, e.reason])).toEqual([['Warning', 'SpotToBeReleased']]);
    groups.set('eci-1', group([notice], 'Expired', running));
    await p.pollOnce();
    expect(events).toHaveLength(1);
    expect(p.get(ref.uid)?.group?.Status).toBe('Expired');
    expect(changes.length).toBeGreaterThanOrEqual(2);
  });

  it('does not replay the events of a group it adopts', async () => {
    const existing = group([event('Scheduled', 'x'), event('OOMKilling', 'Out of memory', 'Warning')]);
    const groups = new Map([['eci-1', existing]]);
    const { p, events } = poller(groups);
    p.track(ref, 'eci-1', structuredClone(existing));
    await p.pollOnce(undefined, true);
    expect(events).toEqual([]);
    groups.set('eci-1', group([...existing.Events!, event('Started', 'Started container job')]));
    await p.pollOnce(undefined, true);
    expect(events.map((e) => e.reason)).toEqual(['Started']);
  });
});

describe('StatusPoller rounds woken by creates', () => {
  it('describes only the groups never described yet, so a burst of creates does not re-describe every starting group', async () => {
    const groups = new Map<string, EciContainerGroup>();
    const described: string[][] = [];
    const client = {
      call: async (action: string, params: Record<string, unknown>) => {
        if (action !== 'DescribeContainerGroups') return {};
        const ids = JSON.parse(String(params.ContainerGroupIds)) as string[];
        described.push(ids);
        return { ContainerGroups: ids.flatMap((id) => (groups.has(id) ? [structuredClone(groups.get(id)!)] : [])) };
      },
    } as unknown as EciClient;
    const p = new StatusPoller({
      client,
      log,
      tags: [],
      intervalMs: 60_000,
      resyncMs: 600_000,
      onChange: () => undefined,
      onEvent: () => undefined,
    });
    for (let i = 1; i <= 3; i++) {
      groups.set(`eci-${i}`, { ...group([]), ContainerGroupId: `eci-${i}` });
      p.track({ namespace: 'ci', name: `job-${i}`, uid: `u-${i}` }, `eci-${i}`);
    }
    await p.pollOnce(undefined, false, true);
    expect(described).toEqual([['eci-1', 'eci-2', 'eci-3']]);
    groups.set('eci-4', { ...group([]), ContainerGroupId: 'eci-4' });
    p.track({ namespace: 'ci', name: 'job-4', uid: 'u-4' }, 'eci-4');
    await p.pollOnce(undefined, false, true);
    expect(described[1]).toEqual(['eci-4']);
    // A regular round still describes every group that is starting.
    await p.pollOnce();
    expect(described[2]).toEqual(['eci-1', 'eci-2', 'eci-3', 'eci-4']);
  });

  it('runs a regular round first and then, when kicked within the interval, only new-group rounds', async () => {
    const groups = new Map([['eci-1', group([])]]);
    const calls: string[][] = [];
    const client = {
      call: async (action: string, params: Record<string, unknown>) => {
        if (action !== 'DescribeContainerGroups') return {};
        const ids = JSON.parse(String(params.ContainerGroupIds)) as string[];
        calls.push(ids);
        return { ContainerGroups: ids.flatMap((id) => (groups.has(id) ? [structuredClone(groups.get(id)!)] : [])) };
      },
    } as unknown as EciClient;
    const p = new StatusPoller({
      client,
      log,
      tags: [],
      intervalMs: 60_000,
      resyncMs: 600_000,
      onChange: () => undefined,
      onEvent: () => undefined,
    });
    p.track(ref, 'eci-1');
    const abort = new AbortController();
    const loop = p.run(abort.signal);
    const until = async (f: () => boolean) => {
      for (let i = 0; i < 200 && !f(); i++) await new Promise((r) => setTimeout(r, 5));
    };
    await until(() => calls.length === 1);
    for (let i = 0; i < 5; i++) {
      p.kick();
      await new Promise((r) => setTimeout(r, 10));
    }
    abort.abort();
    await loop;
    // The first round was a full one; the kicks found nothing new to describe.
    expect(calls).toEqual([['eci-1']]);
  });
});
