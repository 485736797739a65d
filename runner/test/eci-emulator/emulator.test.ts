import { afterEach, describe, expect, it } from '@jest/globals';
import { PassThrough } from 'node:stream';
import { WebSocket } from 'ws';
import { ECI_TAG, Throttled, Unauthorized, Unavailable } from '@eci-virtual/contract';
import { EciClient, flattenParams, type ParamValue } from '../../src/virtual-node/backends/eci/eci-client.js';
import { bridgeExec } from '../../src/virtual-node/backends/eci/exec-websocket.js';
import { eciRateLimits, TokenBucket, type CallLimiter } from '../../src/virtual-node/backends/eci/rate-limiter.js';
import type { EciContainerGroup } from '../../src/virtual-node/backends/eci/status-mapping.js';
import { ACCESS_KEY, clientFor, startEmulator, until } from './fixtures.js';
import { ImageCacheStore } from './image-caches.js';
import { Limits } from './limits.js';
import { formatLogs, LOG_CAPS } from './logs.js';
import { runScript } from './mini-shell.js';
import { sdkSigned } from './sdk-signed.js';
import type { EciEmulator } from './server.js';

let emulator: EciEmulator | undefined;
afterEach(async () => {
  await emulator?.stop();
  emulator = undefined;
});

async function start(...args: Parameters<typeof startEmulator>) {
  const started = await startEmulator(...args);
  emulator = started.emu;
  return { ...started, client: clientFor(started.emu) };
}

const group = (over: Record<string, ParamValue> = {}): Record<string, ParamValue> => ({
  ContainerGroupName: 'ci-job',
  SecurityGroupId: 'sg-1',
  VSwitchId: 'vsw-1',
  RestartPolicy: 'Never',
  Container: [{ Name: 'job', Image: 'busybox', Command: ['sh', '-c', 'echo hi; echo oops >&2; exit 3'] }],
  ...over,
});

/** A raw call signed the SDK's way, to see the HTTP answer itself. */
async function raw(
  emu: EciEmulator,
  action: string,
  params: Record<string, ParamValue>,
  opts: { secret?: string; version?: string; inBody?: boolean } = {},
) {
  const flat = flattenParams({ RegionId: 'cn-hangzhou', ...params });
  const { url, init } = sdkSigned({
    endpoint: emu.endpoint,
    action,
    query: opts.inBody ? {} : flat,
    ...(opts.inBody ? { form: flat } : {}),
    accessKeyId: ACCESS_KEY.id,
    accessKeySecret: opts.secret ?? ACCESS_KEY.secret,
    ...(opts.version ? { version: opts.version } : {}),
  });
  const res = await fetch(url, init);
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

describe('ECI emulator: authentication', () => {
  it('verifies V3 signatures, the API version and the AccessKeyId', async () => {
    const { emu } = await start();
    expect((await raw(emu, 'DescribeContainerGroups', {})).status).toBe(200);
    const bad = await raw(emu, 'DescribeContainerGroups', {}, { secret: 'wrong' });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ Code: 'SignatureDoesNotMatch', HostId: expect.any(String) });
    expect(Object.keys(bad.body).sort()).toEqual(['Code', 'HostId', 'Message', 'Recommend', 'RequestId']);
    expect((await raw(emu, 'DescribeContainerGroups', {}, { version: '2019-01-01' })).body.Code).toBe('InvalidVersion');
    const unknown = new EciClient({
      region: 'cn-hangzhou',
      endpoint: emu.endpoint,
      credentials: { accessKeyId: 'nobody', accessKeySecret: 'x' },
      maxAttempts: 1,
    });
    await expect(unknown.call('DescribeContainerGroups', {})).rejects.toThrow(/InvalidAccessKeyId.NotFound/);
    await expect(clientFor(emu, 'wrong').call('DescribeContainerGroups', {})).rejects.toBeInstanceOf(Unauthorized);
    // A tampered body no longer matches x-acs-content-sha256.
    const signed = sdkSigned({
      endpoint: emu.endpoint,
      action: 'DescribeContainerGroups',
      query: { RegionId: 'cn-hangzhou' },
      accessKeyId: ACCESS_KEY.id,
      accessKeySecret: ACCESS_KEY.secret,
    });
    const res = await fetch(signed.url, { ...signed.init, body: 'RegionId=cn-beijing' });
    expect(((await res.json()) as { Code: string }).Code).toBe('IncompleteSignature');
  });

  it('takes parameters where the API metadata places them (the query string), not from a form body', async () => {
    const { emu } = await start();
    const inQuery = await raw(emu, 'DescribeContainerGroups', { Limit: 5 });
    expect(inQuery.status).toBe(200);
    const inBody = await raw(emu, 'DescribeContainerGroups', { Limit: 5 }, { inBody: true });
    expect(inBody.status).toBe(400);
    expect(inBody.body.Code).toBe('InvalidParameter');
    expect(inBody.body.Message).toMatch(/query string/);
  });
});

describe('ECI emulator: container groups', () => {
  it('validates CreateContainerGroup like the service', async () => {
    const { client } = await start();
    const err = (p: Record<string, ParamValue>) =>
      client.call('CreateContainerGroup', p).then(
        () => 'accepted',
        (e: Error) => e.message,
      );
    expect(await err(group({ SecurityGroupId: undefined }))).toMatch(/MissingParameter.*SecurityGroupId/);
    expect(await err(group({ VSwitchId: undefined }))).toMatch(/MissingParameter.*VSwitchId/);
    expect(await err(group({ ContainerGroupName: 'Bad_Name' }))).toMatch(/InvalidParameter.ContainerGroupName/);
    expect(await err(group({ Container: [{ Name: 'a', Image: 'x', Port: [{ Port: 10250 }] }] }))).toMatch(/reserved/);
    expect(await err(group({ Container: [{ Name: 'a', Image: 'x', SecurityContext: { Privileged: true } }] }))).toMatch(
      /Privileged/,
    );
    expect(
      await err(
        group({
          Container: [
            {
              Name: 'a',
              Image: 'x',
              EnvironmentVar: Array.from({ length: 93 }, (_, i) => ({ Key: `K${i}`, Value: 'v' })),
            },
          ],
        }),
      ),
    ).toMatch(/at most 92/);
    expect(await err(group({ Volume: [{ Name: 'h', Type: 'HostPathVolume' }] }))).toMatch(/HostPathVolume/);
    expect(
      await err(group({ Container: [{ Name: 'a', Image: 'x', VolumeMount: [{ Name: 'nope', MountPath: '/x' }] }] })),
    ).toMatch(/not a volume/);
  });

  it('is idempotent per ClientToken and enforces the quota', async () => {
    const { client } = await start({ quota: 2 });
    const a = await client.call<{ ContainerGroupId: string }>('CreateContainerGroup', group({ ClientToken: 't1' }));
    const b = await client.call<{ ContainerGroupId: string }>('CreateContainerGroup', group({ ClientToken: 't1' }));
    expect(b.ContainerGroupId).toBe(a.ContainerGroupId);
    await client.call('CreateContainerGroup', group({ ClientToken: 't2' }));
    await expect(client.call('CreateContainerGroup', group({ ClientToken: 't3' }))).rejects.toThrow(/QuotaExceed/);
  });

  it('runs a group Pending → Running → Failed with exit code, events, logs and paging', async () => {
    const { client, emu } = await start();
    const { ContainerGroupId: id } = await client.call<{ ContainerGroupId: string }>(
      'CreateContainerGroup',
      group({ Tag: [{ Key: 'team', Value: 'ci' }] }),
    );
    const describe = async () =>
      (
        await client.call<{ ContainerGroups: EciContainerGroup[] }>('DescribeContainerGroups', {
          ContainerGroupIds: JSON.stringify([id]),
          WithEvent: true,
        })
      ).ContainerGroups[0]!;
    expect(['Scheduling', 'Pending']).toContain((await describe()).Status);
    const done = await until(async () => {
      const g = await describe();
      return g.Status === 'Failed' ? g : undefined;
    });
    expect(done.Containers![0]!.CurrentState).toMatchObject({ State: 'Terminated', ExitCode: 3 });
    expect(done.IntranetIp).toMatch(/^192\.168\./);
    expect(done.Events!.map((e) => e.Reason)).toEqual(['Scheduled', 'Pulling', 'Pulled', 'Created', 'Started']);
    // Events only for a caller that asks for them (WithEvent).
    const withoutEvents = await client.call<{ ContainerGroups: EciContainerGroup[] }>('DescribeContainerGroups', {
      ContainerGroupIds: JSON.stringify([id]),
    });
    expect(withoutEvents.ContainerGroups[0]!.Events).toEqual([]);
    expect(done.Tags).toEqual([{ Key: 'team', Value: 'ci' }]);
    const log = await client.call<{ Content: string }>('DescribeContainerLog', {
      ContainerGroupId: id,
      ContainerName: 'job',
    });
    expect(log.Content).toBe('hi\noops\n');
    const stamped = await client.call<{ Content: string }>('DescribeContainerLog', {
      ContainerGroupId: id,
      ContainerName: 'job',
      Timestamps: true,
      Tail: 1,
    });
    expect(stamped.Content).toMatch(/^\d{4}-\d\d-\d\dT[\d:]+\.\d{9}Z oops\n$/);
    expect(
      (
        await client.call<{ Content: string }>('DescribeContainerLog', {
          ContainerGroupId: id,
          ContainerName: 'job',
          LimitBytes: 2,
        })
      ).Content,
    ).toBe('hi');

    for (let i = 0; i < 3; i++)
      await client.call(
        'CreateContainerGroup',
        group({ ContainerGroupName: `g${i}`, Tag: [{ Key: 'team', Value: 'ci' }] }),
      );
    const page1 = await client.call<{ ContainerGroups: EciContainerGroup[]; NextToken: string; TotalCount: number }>(
      'DescribeContainerGroups',
      { Tag: [{ Key: 'team', Value: 'ci' }], Limit: 3 },
    );
    expect(page1.TotalCount).toBe(4);
    expect(page1.ContainerGroups).toHaveLength(3);
    const page2 = await client.call<{ ContainerGroups: EciContainerGroup[]; NextToken: string }>(
      'DescribeContainerGroups',
      {
        Tag: [{ Key: 'team', Value: 'ci' }],
        Limit: 3,
        NextToken: page1.NextToken,
      },
    );
    expect(page2.ContainerGroups).toHaveLength(1);
    expect(page2.NextToken).toBe('');
    await expect(client.call('DescribeContainerGroups', { Limit: 21 })).rejects.toThrow(/Limit/);

    await new Promise((r) => setTimeout(r, 1100));
    const quiet = await client.call<{ Data: unknown[] }>('DescribeContainerGroupStatus', {
      ContainerGroupIds: JSON.stringify([id]),
      SinceSecond: 1,
    });
    expect(quiet.Data).toHaveLength(0);
    const all = await client.call<{ Data: { ContainerGroupId: string; Status: string }[] }>(
      'DescribeContainerGroupStatus',
      {
        ContainerGroupIds: JSON.stringify([id]),
        SinceSecond: 60,
      },
    );
    expect(all.Data[0]).toMatchObject({ ContainerGroupId: id, Status: 'Failed' });

    await client.call('DeleteContainerGroup', { ContainerGroupId: id });
    await expect(client.call('DeleteContainerGroup', { ContainerGroupId: id })).rejects.toThrow(/NotFound/);
    expect(emu.groups.size).toBe(3);
  });

  it('drops finished groups after the retention time', async () => {
    const { client, emu } = await start({ retentionMs: 100 });
    const { ContainerGroupId: id } = await client.call<{ ContainerGroupId: string }>('CreateContainerGroup', group());
    await until(() => emu.groups.get(id)?.status === 'Failed');
    await until(() => emu.groups.get(id) === undefined, 2_000);
  });
});

describe('ECI emulator: ScheduleFailed', () => {
  it('fails the next group at scheduling with a Warning event when asked to', async () => {
    const { client, emu } = await start();
    emu.injectScheduleFailure('NoStock', 'no stock in zone k');
    const { ContainerGroupId: id } = await client.call<{ ContainerGroupId: string }>('CreateContainerGroup', group());
    await until(() => emu.groups.get(id)?.status === 'ScheduleFailed');
    expect(emu.groups.get(id)?.events).toEqual([
      expect.objectContaining({ Type: 'Warning', Reason: 'NoStock', Message: 'no stock in zone k' }),
    ]);
    expect(emu.count('CreateContainerGroup', 200)).toBe(1);
    // Only the next group: the one after it is scheduled as usual.
    const next = await client.call<{ ContainerGroupId: string }>(
      'CreateContainerGroup',
      group({ ContainerGroupName: 'n' }),
    );
    await until(
      () => ['Pending', 'Running', 'Succeeded'].includes(emu.groups.get(next.ContainerGroupId)?.status ?? ''),
      5_000,
    );
  });
});

describe('ECI emulator: limits and faults', () => {
  it('throttles per action and injects faults', async () => {
    const { emu } = await start({ rateLimits: { CreateContainerGroup: { burst: 2, perSecond: 0.001 } } });
    const once = clientFor(emu, ACCESS_KEY.secret, 1);
    await once.call('CreateContainerGroup', group({ ContainerGroupName: 'a' }));
    await once.call('CreateContainerGroup', group({ ContainerGroupName: 'b' }));
    await expect(once.call('CreateContainerGroup', group({ ContainerGroupName: 'c' }))).rejects.toBeInstanceOf(
      Throttled,
    );
    expect(emu.calls.at(-1)).toMatchObject({ status: 400, code: 'Throttling.User' });
    await once.call('DeleteContainerGroup', { ContainerGroupId: emu.groups.all()[0]!.id }); // its own bucket
    await once.call('DescribeContainerGroups', {}); // another action, another limit
    emu.injectFault({ action: 'DescribeContainerGroups', code: 'ServiceUnavailable', status: 503, times: 2 });
    await expect(once.call('DescribeContainerGroups', {})).rejects.toBeInstanceOf(Unavailable);
    await clientFor(emu).call('DescribeContainerGroups', {}); // retried through the second fault
    expect(emu.count('DescribeContainerGroups', 503)).toBe(2);
  });
});

describe('ECI emulator: fault windows', () => {
  it('fails every call of the action for the window, however many, and none after it', () => {
    const clock = { t: 1_000 };
    const limits = new Limits({}, () => clock.t);
    limits.inject({ action: 'DescribeContainerGroups', forMs: 5_000, times: 1, code: 'Throttling.User' });
    let refused = 0;
    for (; clock.t < 6_000; clock.t += 50)
      try {
        limits.check('DescribeContainerGroups');
      } catch (err) {
        expect(err).toMatchObject({ status: 400, code: 'Throttling.User' });
        refused++;
      }
    expect(refused).toBe(100); // every call of the 5 s, not `times` of them
    expect(() => limits.check('DescribeContainerGroupStatus')).not.toThrow(); // another action
    clock.t = 6_000; // the window is [1000, 6000)
    expect(() => limits.check('DescribeContainerGroups')).not.toThrow();
  });

  it('ends open windows and unspent counts on clearFaults', () => {
    const clock = { t: 0 };
    const limits = new Limits({}, () => clock.t);
    limits.inject({ action: 'DeleteContainerGroup', forMs: 60_000, code: 'InternalError', status: 500 });
    limits.inject({ action: 'CreateContainerGroup', times: 3, code: 'InternalError', status: 500 });
    expect(() => limits.check('DeleteContainerGroup')).toThrow();
    expect(() => limits.check('CreateContainerGroup')).toThrow();
    limits.clearFaults();
    expect(() => limits.check('DeleteContainerGroup')).not.toThrow();
    expect(() => limits.check('CreateContainerGroup')).not.toThrow();
  });

  it('answers a window on every served action with the injected server error', async () => {
    const { emu } = await start();
    expect(emu.actions).toEqual(
      expect.arrayContaining(['CreateContainerGroup', 'DescribeContainerGroupStatus', 'ExecContainerCommand']),
    );
    for (const action of emu.actions)
      emu.injectFault({ action, forMs: 60_000, code: 'ServiceUnavailable', status: 503, message: 'down' });
    for (const action of emu.actions) expect([action, (await raw(emu, action, {})).status]).toEqual([action, 503]);
    expect(emu.calls.map((c) => c.code)).toEqual(emu.actions.map(() => 'ServiceUnavailable'));
    emu.clearFaults();
    expect((await raw(emu, 'DescribeContainerGroups', {})).status).toBe(200);
  });
});

describe('ECI emulator: a delete the runtime cannot carry out', () => {
  it('fails with a server error and keeps the group, so a retried delete releases its containers', async () => {
    const { emu, runtime } = await start();
    const once = clientFor(emu, ACCESS_KEY.secret, 1);
    const { ContainerGroupId: id } = await once.call<{ ContainerGroupId: string }>(
      'CreateContainerGroup',
      group({ Container: [{ Name: 'job', Image: 'busybox', Command: ['sleep', '60'] }] }),
    );
    const release = runtime.delete.bind(runtime);
    runtime.delete = async () => {
      throw new Error('container engine unreachable');
    };
    await expect(once.call('DeleteContainerGroup', { ContainerGroupId: id })).rejects.toBeInstanceOf(Unavailable);
    expect(emu.calls.at(-1)).toMatchObject({ status: 500, code: 'InternalError' });
    expect(emu.groups.get(id)).toBeDefined();
    runtime.delete = release;
    await once.call('DeleteContainerGroup', { ContainerGroupId: id });
    expect(emu.groups.get(id)).toBeUndefined();
  });
});

describe('ECI emulator: the exec/log quota is a per-minute window', () => {
  /** Calls `action` whenever `client` lets it, for 3 minutes of fake time in 10 ms steps → how many were throttled. */
  function drive(client: CallLimiter, limits: Limits, clock: { t: number }, action: string) {
    let sent = 0;
    let throttled = 0;
    for (; clock.t <= 180_000; clock.t += 10)
      while (client.tryTake() === 0) {
        sent++;
        try {
          limits.check(action);
        } catch {
          throttled++;
        }
      }
    return { sent, throttled };
  }

  it('allows 500 calls of each in any 60 s (exec and logs counted apart) and throttles a client that bursts past it', () => {
    const clock = { t: 0 };
    const limits = new Limits({}, () => clock.t);
    for (let i = 0; i < 500; i++) limits.check('ExecContainerCommand');
    expect(() => limits.check('ExecContainerCommand')).toThrow(/flow control/);
    for (let i = 0; i < 500; i++) limits.check('DescribeContainerLog'); // a quota of its own
    expect(() => limits.check('DescribeContainerLog')).toThrow(/flow control/);
    clock.t = 30_000; // a 500/min token bucket would have 250 again here
    expect(() => limits.check('ExecContainerCommand')).toThrow(/flow control/);
    clock.t = 60_000;
    for (let i = 0; i < 500; i++) limits.check('ExecContainerCommand');
    expect(() => limits.check('ExecContainerCommand')).toThrow(/flow control/);
    limits.check('DescribeImageCaches'); // on neither published list: not limited

    // The client's old limiter (a bucket of 500 refilled 500/min) is throttled; the sliding window is not.
    const old = { t: 0 };
    const bursting = drive(
      new TokenBucket(500, 500 / 60, () => old.t),
      new Limits({}, () => old.t),
      old,
      'ExecContainerCommand',
    );
    expect(bursting.throttled).toBeGreaterThan(400);
    const now = { t: 0 };
    const paced = eciRateLimits(() => now.t);
    const windowed = drive(paced.exec, new Limits({}, () => now.t), now, 'ExecContainerCommand');
    expect(windowed).toEqual({ sent: 1500, throttled: 0 });
  });

  it('holds the published per-minute quotas of the other actions and the create/delete token buckets', () => {
    const clock = { t: 0 };
    const limits = new Limits({}, () => clock.t);
    const admitted = (action: string, tries: number) => {
      let ok = 0;
      for (let i = 0; i < tries; i++)
        try {
          limits.check(action);
          ok++;
        } catch {
          /* throttled */
        }
      return ok;
    };
    expect(admitted('DescribeContainerGroups', 2100)).toBe(2000);
    expect(admitted('DescribeContainerGroupMetric', 2100)).toBe(2000);
    expect(admitted('DescribeContainerGroupStatus', 10_100)).toBe(10_000);
    expect(admitted('CreateImageCache', 300)).toBe(200);
    expect(admitted('CreateContainerGroup', 150)).toBe(100);
    expect(admitted('DeleteContainerGroup', 150)).toBe(100);
    clock.t = 1_000; // 20 more tokens a second
    expect(admitted('CreateContainerGroup', 50)).toBe(20);
    // ... and at most 1000 in any minute (Flow control information): a steady 20/s reaches it at 45 s.
    let creates = 120;
    for (clock.t = 1_050; clock.t < 60_000; clock.t += 50) creates += admitted('CreateContainerGroup', 1);
    expect(creates).toBe(1000);
    // The bucket is full again by then, but the minute is not over for the first hundred until 60 s; a call the
    // window refuses takes no token, so all of them pass once it is.
    clock.t = 59_999;
    expect(admitted('CreateContainerGroup', 5)).toBe(0);
    clock.t = 60_001;
    expect(admitted('CreateContainerGroup', 150)).toBe(100);
  });

  it('answers one page of logs: the newest Tail lines (default 500, at most 2000) within 1 MB', () => {
    const t0 = Date.parse('2024-05-01T10:00:00Z');
    const lines = Array.from({ length: 3000 }, (_, i) => ({
      time: new Date(t0 + i),
      stream: 'stdout' as const,
      text: `line ${i}`,
    }));
    const page = (q: Partial<Parameters<typeof formatLogs>[1]>) =>
      formatLogs(lines, { timestamps: false, ...q })
        .split('\n')
        .slice(0, -1);
    expect(page({})).toEqual(lines.slice(-500).map((l) => l.text));
    expect(page({ tail: 5_000 })).toHaveLength(LOG_CAPS.lines);
    expect(page({ tail: 5_000 })[0]).toBe('line 1000');
    expect(page({ tail: 2_000, startTime: t0 + 2_500 })).toEqual(lines.slice(2_500).map((l) => l.text));
    const big = Array.from({ length: 1_500 }, (_, i) => ({
      time: new Date(t0 + i),
      stream: 'stdout' as const,
      text: `${i} ${'x'.repeat(1_000)}`,
    }));
    const capped = formatLogs(big, { tail: 2_000, timestamps: false });
    expect(Buffer.byteLength(capped)).toBeLessThanOrEqual(LOG_CAPS.bytes);
    expect(capped.split('\n').at(-2)).toMatch(/^1499 /); // the newest kept, whole lines only
    expect(capped.startsWith(`${1_500 - capped.split('\n').length + 1} `)).toBe(true);
  });
});

describe('ECI emulator: exec and image caches', () => {
  it('serves exec over a one-time WebSocket', async () => {
    const { client, runtime } = await start();
    const { ContainerGroupId: id } = await client.call<{ ContainerGroupId: string }>(
      'CreateContainerGroup',
      group({ Container: [{ Name: 'job', Image: 'busybox' }] }), // the image's own command: runs until deleted
    );
    await until(
      async () =>
        (
          await client.call<{ ContainerGroups: EciContainerGroup[] }>('DescribeContainerGroups', {
            ContainerGroupIds: JSON.stringify([id]),
          })
        ).ContainerGroups[0]!.Status === 'Running',
    );
    const exec = (command: string[]) =>
      client.call<{ WebSocketUri: string }>('ExecContainerCommand', {
        ContainerGroupId: id,
        ContainerName: 'job',
        Command: JSON.stringify(command),
        Stdin: true,
      });
    const { WebSocketUri } = await exec(['cat']);
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    let out = '';
    stdout.on('data', (c: Buffer) => (out += c.toString()));
    const code = bridgeExec(WebSocketUri, { stdin, stdout, tty: false }, new AbortController().signal);
    stdin.end('ping');
    expect(await code).toBe(0);
    expect(out).toBe('ping');
    expect(runtime.execs).toHaveLength(1);
    await expect(bridgeExec(WebSocketUri, { tty: false }, new AbortController().signal)).rejects.toThrow(/403/); // used
    // A non-zero exit travels as the kubelet's metav1.Status (reason NonZeroExitCode, cause ExitCode), not `{exitCode}`.
    const failing = await exec(['sh', '-c', 'exit 3']);
    const frames: Buffer[] = [];
    const ws = new WebSocket(failing.WebSocketUri);
    ws.on('message', (d: Buffer) => frames.push(d));
    await new Promise((resolve) => ws.on('close', resolve));
    const last = frames.at(-1)!;
    expect(last[0]).toBe(3);
    expect(JSON.parse(last.subarray(1).toString())).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '3' }] },
    });
    expect(
      await bridgeExec((await exec(['sh', '-c', 'exit 3'])).WebSocketUri, { tty: false }, new AbortController().signal),
    ).toBe(3);
    await expect(exec(Array.from({ length: 21 }, () => 'x'))).rejects.toThrow(/at most 20/);
    await expect(exec(['echo', 'y'.repeat(257)])).rejects.toThrow(/at most 256/);
  });

  it('prepares image caches and matches them on create', async () => {
    const { client, emu } = await start();
    const { ImageCacheId } = await client.call<{ ImageCacheId: string }>('CreateImageCache', {
      ImageCacheName: 'busybox',
      SecurityGroupId: 'sg-1',
      VSwitchId: 'vsw-1',
      Image: ['busybox'],
    });
    const state = async () =>
      (await client.call<{ ImageCaches: { Status: string }[] }>('DescribeImageCaches', { ImageCacheId }))
        .ImageCaches[0]!.Status;
    expect(await state()).toBe('Preparing');
    await until(async () => (await state()) === 'Ready');
    const { ContainerGroupId: id } = await client.call<{ ContainerGroupId: string }>(
      'CreateContainerGroup',
      group({ AutoMatchImageCache: true }),
    );
    await until(() => emu.groups.get(id)?.events.some((e) => e.Reason === 'SuccessfulHitImageCache'));
    const described = await client.call<{ ImageCaches: Record<string, unknown>[] }>('DescribeImageCaches', {
      ImageCacheId,
    });
    expect(described.ImageCaches[0]).toMatchObject({
      ImageCacheName: 'busybox',
      Images: ['busybox'],
      Progress: '100%',
      SnapshotId: expect.stringMatching(/^s-/),
      LastMatchedTime: expect.any(String),
    });
    await client.call('DeleteImageCache', { ImageCacheId });
    await expect(client.call('DeleteImageCache', { ImageCacheId })).rejects.toThrow(/NotFound/);
  });

  it('follows the published CreateImageCache/DescribeImageCaches parameters', async () => {
    const { client, emu } = await start();
    const base = { SecurityGroupId: 'sg-1', VSwitchId: 'vsw-1', Image: ['busybox', 'node:20'] };
    const create = (extra: Record<string, ParamValue>) =>
      client.call<{ ImageCacheId: string; ContainerGroupId: string }>('CreateImageCache', { ...base, ...extra });
    const first = await create({
      ImageCacheName: 'set-a',
      RetentionDays: 3,
      ClientToken: 'tok-1',
      Tag: [{ Key: ECI_TAG.cluster, Value: 'c1' }],
      ImageRegistryCredential: [{ Server: 'reg.example.com', UserName: 'u', Password: 'p' }],
    });
    expect(first.ContainerGroupId).toMatch(/^eci-/);
    expect((await create({ ImageCacheName: 'set-a', ClientToken: 'tok-1' })).ImageCacheId).toBe(first.ImageCacheId);
    emu.imageCaches.failing.add('bad:1');
    const failing = await create({ ImageCacheName: 'set-b', Image: ['bad:1'] });
    const describe = (params: Record<string, ParamValue>) =>
      client
        .call<{ ImageCaches: { ImageCacheId: string; Status: string; ExpireDateTime?: string }[] }>(
          'DescribeImageCaches',
          params,
        )
        .then((r) => r.ImageCaches);
    expect((await describe({ Tag: [{ Key: ECI_TAG.cluster, Value: 'c1' }] })).map((c) => c.ImageCacheId)).toEqual([
      first.ImageCacheId,
    ]);
    expect(await describe({ MatchImage: ['node:20', 'busybox'] })).toHaveLength(1);
    expect((await describe({ ImageCacheName: 'set-a' }))[0]!.ExpireDateTime).toBeDefined();
    await until(async () => (await describe({ ImageCacheId: first.ImageCacheId }))[0]!.Status === 'Ready');
    await until(async () => (await describe({ ImageCacheId: failing.ImageCacheId }))[0]!.Status === 'Failed');
    await expect(create({ ImageCacheName: 'Bad Name' })).rejects.toThrow(/ImageCacheName/);
    await expect(
      create({ ImageCacheName: 'x1', Image: Array.from({ length: 21 }, (_, i) => `i${i}`) }),
    ).rejects.toThrow(/at most 20/);
    await expect(create({ ImageCacheName: 'x2', RetentionDays: 0 })).rejects.toThrow(/RetentionDays/);
  });
});

describe('emulated image cache store', () => {
  it('goes Preparing → Creating → Ready', async () => {
    const store = new ImageCacheStore(() => 300);
    const c = store.create({ name: 'a', images: ['x'], tags: [], sizeGiB: 20, credentialServers: [] });
    expect(store.get(c.id)!.status).toBe('Preparing');
    await until(() => store.get(c.id)!.status === 'Creating');
    await until(() => store.get(c.id)!.status === 'Ready');
  });
});

describe('mini shell', () => {
  it('runs echo, exit, && and reports unknown commands', async () => {
    let out = '';
    let err = '';
    const io = {
      out: (t: string) => (out += t),
      err: (t: string) => (err += t),
      sleep: async () => undefined,
      signal: new AbortController().signal,
    };
    expect(await runScript(`echo "a b"; false && echo no; echo 'c' >&2; nope; exit 5; echo never`, io)).toBe(5);
    expect(out).toBe('a b\n');
    expect(err).toBe('c\nsh: nope: not found\n');
  });
});
