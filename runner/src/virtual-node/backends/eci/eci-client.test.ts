import { describe, expect, it } from '@jest/globals';
import { InvalidInput, Throttled } from '../../../errors.js';
import { EciClient, endpointFor, flattenParams } from './eci-client.js';
import { mapEciError, QuotaExceeded } from './eci-errors.js';
import { parseAuthorization } from './signer.js';

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

  it('signs, retries throttling with backoff and returns the body', async () => {
    const calls: { headers: Headers; body: string }[] = [];
    const replies = [
      new Response(JSON.stringify({ Code: 'Throttling.User', Message: 'flow control' }), { status: 400 }),
      new Response('oops', { status: 502 }),
      new Response(JSON.stringify({ RequestId: 'r', ContainerGroupId: 'eci-1' }), { status: 200 }),
    ];
    const client = new EciClient({
      region: 'cn-hangzhou',
      endpoint: 'http://127.0.0.1:1',
      credentials: () => ({ accessKeyId: 'AK', accessKeySecret: 'SK' }),
      backoffBaseMs: 1,
      fetch: (async (_url: string, init: RequestInit) => {
        calls.push({ headers: new Headers(init.headers as Record<string, string>), body: String(init.body) });
        return replies.shift()!;
      }) as unknown as typeof fetch,
    });
    const out = await client.call<{ ContainerGroupId: string }>('CreateContainerGroup', { ContainerGroupName: 'g a' });
    expect(out.ContainerGroupId).toBe('eci-1');
    expect(calls).toHaveLength(3);
    expect(calls[0]!.body).toBe('RegionId=cn-hangzhou&ContainerGroupName=g%20a');
    expect(calls[0]!.headers.get('x-acs-action')).toBe('CreateContainerGroup');
    expect(calls[0]!.headers.get('x-acs-version')).toBe('2018-08-08');
    expect(parseAuthorization(calls[0]!.headers.get('authorization') ?? '')?.signedHeaders).toContain('content-type');
  });

  it('does not retry what cannot succeed', async () => {
    let n = 0;
    const client = new EciClient({
      region: 'r',
      endpoint: 'http://127.0.0.1:1',
      credentials: () => ({ accessKeyId: 'AK', accessKeySecret: 'SK' }),
      backoffBaseMs: 1,
      fetch: (async () => {
        n++;
        return new Response(JSON.stringify({ Code: 'InvalidParameter', Message: 'bad' }), { status: 400 });
      }) as unknown as typeof fetch,
    });
    await expect(client.call('DescribeContainerGroups', {})).rejects.toBeInstanceOf(InvalidInput);
    expect(n).toBe(1);
  });
});
