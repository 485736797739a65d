import { afterEach, describe, expect, it } from '@jest/globals';
import { ACCESS_KEY, clientFor, NODE, startEmulator } from '../../../../test/eci-emulator/fixtures.js';
import type { EciEmulator } from '../../../../test/eci-emulator/server.js';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Cancelled, InvalidInput, Throttled } from '@eci-virtual/contract';
import { EciClient, endpointFor, flattenParams, type ParamValue } from './eci-client.js';
import { mapEciError, QuotaExceeded } from './eci-errors.js';

describe('ECI client', () => {
  it('flattens parameters the RPC way', () => {
    expect(
      flattenParams({
        ContainerGroupName: 'g',
        Container: [{ Name: 'a', Command: ['sh', '-c'], EnvironmentVar: [{ Key: 'K', Value: 'v' }] }],
        Tag: [{ Key: 'pod', Value: 'p' }],
        Skip: undefined,
      }),
    ).toEqual({
      ContainerGroupName: 'g',
      'Container.1.Name': 'a',
      'Container.1.Command.1': 'sh',
      'Container.1.Command.2': '-c',
      'Container.1.EnvironmentVar.1.Key': 'K',
      'Container.1.EnvironmentVar.1.Value': 'v',
      'Tag.1.Key': 'pod',
      'Tag.1.Value': 'p',
    });
    expect(endpointFor('cn-hangzhou', false)).toBe('https://eci.cn-hangzhou.aliyuncs.com');
    expect(endpointFor('cn-hangzhou', true)).toBe('https://eci-vpc.cn-hangzhou.aliyuncs.com');
  });

  it('maps error codes to typed errors', () => {
    expect(
      mapEciError(400, { Code: 'Throttling.User', Message: 'Request was denied due to user flow control.' }, 'X'),
    ).toBeInstanceOf(Throttled);
    expect(mapEciError(403, { Code: 'QuotaExceed.ContainerGroupQuotaExceed' }, 'X')).toBeInstanceOf(QuotaExceeded);
    expect(mapEciError(400, { Code: 'InvalidParameter.Cpu' }, 'X')).toBeInstanceOf(InvalidInput);
    expect(mapEciError(404, { Code: 'InvalidContainerGroup.NotFound' }, 'X').name).toBe('NotFound');
    // A missing AccessKey is a credentials problem, not a missing resource (deletePod treats NotFound as done).
    expect(mapEciError(404, { Code: 'InvalidAccessKeyId.NotFound' }, 'X').name).toBe('Unauthorized');
    expect(mapEciError(503, { Code: 'ServiceUnavailable', RequestId: 'r1' }, 'X').message).toContain('RequestId r1');
  });

  /** A scripted ECI endpoint: answers `replies` in turn and records each request as it arrived. */
  async function scripted(replies: { status: number; body: string }[]) {
    const seen: { method: string; url: URL; headers: Record<string, string>; body: string }[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({
          method: req.method ?? '',
          url: new URL(req.url ?? '/', 'http://x'),
          headers: req.headers as Record<string, string>,
          body: Buffer.concat(chunks).toString(),
        });
        const r = replies.shift() ?? { status: 500, body: '{}' };
        res.writeHead(r.status, { 'content-type': 'application/json;charset=utf-8' }).end(r.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    return { seen, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
  }
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  it('sends what the SDK sends (POST /, every parameter in the query, V3-signed), retries throttling and 5xx', async () => {
    const { seen, endpoint } = await scripted([
      { status: 400, body: JSON.stringify({ Code: 'Throttling.User', Message: 'flow control' }) },
      { status: 502, body: 'oops' },
      { status: 200, body: JSON.stringify({ RequestId: 'r', ContainerGroupId: 'eci-1' }) },
    ]);
    const client = new EciClient({
      region: 'cn-hangzhou',
      endpoint,
      credentials: { accessKeyId: 'AK', accessKeySecret: 'SK' },
      backoffBaseMs: 1,
    });
    const out = await client.call<{ ContainerGroupId: string }>('CreateContainerGroup', {
      ContainerGroupName: 'g a',
      Container: [{ Name: 'c', Command: ['sh', '-c'] }],
    });
    expect(out.ContainerGroupId).toBe('eci-1');
    expect(seen).toHaveLength(3);
    const first = seen[0]!;
    expect(first.method).toBe('POST');
    expect(first.url.pathname).toBe('/');
    expect(Object.fromEntries(first.url.searchParams)).toEqual({
      RegionId: 'cn-hangzhou',
      ContainerGroupName: 'g a',
      'Container.1.Name': 'c',
      'Container.1.Command.1': 'sh',
      'Container.1.Command.2': '-c',
    });
    expect(first.body).toBe('');
    expect(first.headers['x-acs-action']).toBe('CreateContainerGroup');
    expect(first.headers['x-acs-version']).toBe('2018-08-08');
    expect(first.headers.authorization).toMatch(
      /^ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=[^,]*\bx-acs-action\b[^,]*,Signature=[0-9a-f]{64}$/,
    );
  });

  it('does not retry what cannot succeed, and names the code', async () => {
    const { seen, endpoint } = await scripted([
      { status: 400, body: JSON.stringify({ Code: 'InvalidParameter', Message: 'bad', RequestId: 'r9' }) },
    ]);
    const client = new EciClient({
      region: 'r',
      endpoint,
      credentials: { accessKeyId: 'AK', accessKeySecret: 'SK' },
      backoffBaseMs: 1,
    });
    const err = await client.call('DescribeContainerGroups', {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInput);
    expect((err as Error).message).toBe('ECI DescribeContainerGroups: InvalidParameter: bad (RequestId r9)');
    expect(seen).toHaveLength(1);
  });

  it('sends the STS token and the credential provider, and cancels', async () => {
    const { seen, endpoint } = await scripted([{ status: 200, body: '{}' }]);
    const client = new EciClient({
      region: 'r',
      endpoint,
      credentials: { accessKeyId: 'STS.AK', accessKeySecret: 'SK', securityToken: 'tok' },
      backoffBaseMs: 1,
    });
    await client.call('DescribeContainerGroups', {});
    expect(seen[0]!.headers['x-acs-security-token']).toBe('tok');
    expect(seen[0]!.headers.authorization).toContain('x-acs-security-token');
    const ac = new AbortController();
    ac.abort();
    await expect(client.call('DescribeContainerGroups', {}, ac.signal)).rejects.toBeInstanceOf(Cancelled);
  });

  it('reports an unreachable endpoint as Unavailable', async () => {
    const client = new EciClient({
      region: 'r',
      endpoint: 'http://127.0.0.1:1',
      credentials: { accessKeyId: 'AK', accessKeySecret: 'SK' },
      maxAttempts: 1,
    });
    await expect(client.call('DescribeContainerGroups', {})).rejects.toThrow(/unreachable/);
  });
});

describe('ECI client against the emulator', () => {
  let emu: EciEmulator | undefined;
  afterEach(async () => {
    await emu?.stop();
    emu = undefined;
  });

  const group = (name: string): Record<string, ParamValue> => ({
    ContainerGroupName: name,
    ClientToken: name,
    SecurityGroupId: NODE.securityGroupId,
    VSwitchId: NODE.vSwitchId,
    RestartPolicy: 'Never',
    Container: [{ Name: 'job', Image: 'busybox', Command: ['sh', '-c', 'true'] }],
  });
  const createAll = (client: EciClient, prefix: string, n: number) =>
    Promise.all(
      Array.from({ length: n }, (_, i) =>
        client.call<{ ContainerGroupId: string }>('CreateContainerGroup', group(`${prefix}-${i}`)),
      ),
    );

  it('paces 130 rapid creates (burst, then 20/s), so the emulator with the published limits throttles none', async () => {
    ({ emu } = await startEmulator());
    const t0 = Date.now(); // the emulator's clock (CallRecord.at)
    const client = clientFor(emu);
    const started = performance.now();
    const ids = (await createAll(client, 'rapid', 130)).map((r) => r.ContainerGroupId);
    const elapsed = performance.now() - started;
    expect(new Set(ids).size).toBe(130);
    const creates = emu.calls.filter((c) => c.action === 'CreateContainerGroup');
    expect(creates.filter((c) => c.status !== 200).map((c) => `${c.status} ${c.code}`)).toEqual([]);
    expect(creates).toHaveLength(130); // one call each: nothing throttled, nothing retried
    // The client's burst is 80 (100 less a second of refill); the 50 after it go out at 20/s: ≥ 2.45 s in all.
    expect(elapsed).toBeGreaterThanOrEqual(2_400);
    expect(elapsed).toBeLessThan(8_000);
    // As the emulator counted them: never more than 100 + 20/s.
    const at = creates.map((c) => c.at).sort((a, b) => a - b);
    let worst = -Infinity; // calls in [at[i], at[j]] beyond what burst 100 + 20/s admits
    for (let i = 0; i < at.length; i++)
      for (let j = i; j < at.length; j++) worst = Math.max(worst, j - i + 1 - (100 + ((at[j]! - at[i]!) / 1000) * 20));
    expect(worst).toBeLessThanOrEqual(1);
    // And as the client paced them: the k-th call no earlier than its token (the bucket filled when it was made).
    for (let k = 80; k < 130; k++) expect(at[k]! - t0).toBeGreaterThanOrEqual((k - 79) * 50 - 5);
  }, 10_000);

  it('sends a large group (a 48 KiB config file) in the query string, as the SDK does, and it is accepted', async () => {
    ({ emu } = await startEmulator());
    const content = Buffer.alloc(48 * 1024, 'x').toString('base64');
    const { ContainerGroupId } = await clientFor(emu).call<{ ContainerGroupId: string }>('CreateContainerGroup', {
      ...group('large'),
      Volume: [
        {
          Name: 'cfg',
          Type: 'ConfigFileVolume',
          ConfigFileVolume: { ConfigFileToPath: [{ Path: 'a', Content: content }] },
        },
      ],
    });
    const call = emu.calls.find((c) => c.action === 'CreateContainerGroup' && c.status === 200)!;
    expect(call.params['Volume.1.ConfigFileVolume.ConfigFileToPath.1.Content']).toBe(content);
    expect(emu.groups.get(ContainerGroupId)).toBeDefined();
  });

  it('backs off and retries when the emulator throttles, losing and duplicating no create', async () => {
    // The emulator is stricter than the published limits the client paces itself by: burst 4, then 50/s.
    ({ emu } = await startEmulator({ rateLimits: { CreateContainerGroup: { burst: 4, perSecond: 50 } } }));
    const client = new EciClient({
      region: NODE.region,
      endpoint: emu.endpoint,
      credentials: { accessKeyId: ACCESS_KEY.id, accessKeySecret: ACCESS_KEY.secret },
      backoffBaseMs: 20,
      maxAttempts: 12,
    });
    const ids = (await createAll(client, 'throttled', 12)).map((r) => r.ContainerGroupId);
    expect(new Set(ids).size).toBe(12);
    const refused = emu.calls.filter((c) => c.status !== 200);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((c) => c.status === 400 && c.code === 'Throttling.User')).toBe(true);
    expect(emu.count('CreateContainerGroup', 200)).toBe(12);
    expect(emu.groups.size).toBe(12);
    // An HTTP 429-style answer is throttling too: retried, and the group is still created once.
    emu.injectFault({ action: 'CreateContainerGroup', code: 'Throttling', status: 429, times: 2 });
    const again = await client.call<{ ContainerGroupId: string }>('CreateContainerGroup', group('after-429'));
    expect(emu.count('CreateContainerGroup', 429)).toBe(2);
    expect(emu.groups.size).toBe(13);
    expect(ids).not.toContain(again.ContainerGroupId);
  });
});
