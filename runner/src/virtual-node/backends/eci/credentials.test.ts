import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidInput, Unavailable } from '@eci-virtual/contract';
import { ACCESS_KEY, startEmulator } from '../../../../test/eci-emulator/fixtures.js';
import type { EciEmulator } from '../../../../test/eci-emulator/server.js';
import { credentialProvider, type CredentialSource } from './credentials.js';
import { EciClient } from './eci-client.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'eci-cred-'));

/** The request an SDK provider makes to STS or the metadata service, answered here instead of on the network. */
interface SdkHttpRequest {
  method: string;
  host: string;
  path: string;
  queries: Record<string, string>;
  headers: Record<string, string>;
  bodyForm: Record<string, string>;
}
type Answer = { statusCode: number; body: Buffer; headers: Record<string, string> };

/** Replaces the provider's HTTP call (the SDK providers keep it in `doRequest`) with `answer`. */
function intercept(source: CredentialSource, answer: (r: SdkHttpRequest) => Answer): SdkHttpRequest[] {
  const seen: SdkHttpRequest[] = [];
  (source.provider as unknown as { doRequest: (r: SdkHttpRequest) => Promise<Answer> }).doRequest = (r) => {
    seen.push(r);
    return Promise.resolve(answer(r));
  };
  return seen;
}

const json = (v: unknown): Answer => ({ statusCode: 200, body: Buffer.from(JSON.stringify(v)), headers: {} });
const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');

describe('Alibaba Cloud credentials (the SDK providers, chosen from the environment)', () => {
  it('takes an AccessKey pair, or an STS token with it, from the environment', async () => {
    const ak = credentialProvider({ ALIBABA_CLOUD_ACCESS_KEY_ID: 'a', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 's' });
    expect(ak.kind).toBe('access-key');
    expect(await ak.provider.getCredentials()).toMatchObject({ accessKeyId: 'a', accessKeySecret: 's' });
    const sts = credentialProvider({
      ALIBABA_CLOUD_ACCESS_KEY_ID: 'STS.a',
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: 's',
      ALIBABA_CLOUD_SECURITY_TOKEN: 't',
    });
    expect(sts.kind).toBe('sts-token');
    expect(await sts.provider.getCredentials()).toMatchObject({ accessKeyId: 'STS.a', securityToken: 't' });
  });

  it('names what is missing', () => {
    expect(() => credentialProvider({})).toThrow(/no Alibaba Cloud credentials/);
    expect(() => credentialProvider({ ALIBABA_CLOUD_ACCESS_KEY_ID: 'a' })).toThrow(/must both be set/);
    expect(() => credentialProvider({ ALIBABA_CLOUD_ROLE_ARN: 'acs:ram::1:role/r' })).toThrow(/RRSA needs/);
    expect(() =>
      credentialProvider({ ALIBABA_CLOUD_ECS_METADATA: 'r', ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true' }),
    ).toThrow(/no Alibaba Cloud credentials/);
  });

  it('re-reads a rotated JSON credentials file', async () => {
    const f = join(tmp(), 'c.json');
    writeFileSync(f, JSON.stringify({ AccessKeyId: 'STS.1', AccessKeySecret: 's1', SecurityToken: 't1' }));
    const file = credentialProvider({ ALIBABA_CLOUD_CREDENTIALS_FILE: f });
    expect(file.kind).toBe('json-file');
    expect((await file.provider.getCredentials()).accessKeyId).toBe('STS.1');
    writeFileSync(f, JSON.stringify({ AccessKeyId: 'STS.2', AccessKeySecret: 's2' }));
    expect(await file.provider.getCredentials()).toMatchObject({ accessKeyId: 'STS.2', accessKeySecret: 's2' });
    writeFileSync(f, '{}');
    await expect(file.provider.getCredentials()).rejects.toThrow(/lacks AccessKeyId/);
  });

  it('RRSA: exchanges the projected OIDC token for an STS token (AssumeRoleWithOIDC)', async () => {
    const tokenFile = join(tmp(), 'token');
    writeFileSync(tokenFile, 'eyJ.oidc.token');
    const rrsa = credentialProvider({
      ALIBABA_CLOUD_ROLE_ARN: 'acs:ram::123:role/eci-virtual-node',
      ALIBABA_CLOUD_OIDC_PROVIDER_ARN: 'acs:ram::123:oidc-provider/ack-rrsa-c1',
      ALIBABA_CLOUD_OIDC_TOKEN_FILE: tokenFile,
    });
    expect(rrsa.kind).toBe('oidc-role-arn');
    const seen = intercept(rrsa, () =>
      json({
        Credentials: { AccessKeyId: 'STS.oidc', AccessKeySecret: 'os', SecurityToken: 'ot', Expiration: inAnHour() },
      }),
    );
    expect(await rrsa.provider.getCredentials()).toMatchObject({ accessKeyId: 'STS.oidc', securityToken: 'ot' });
    expect(seen[0]!.queries.Action).toBe('AssumeRoleWithOIDC');
    expect(seen[0]!.bodyForm).toMatchObject({
      OIDCToken: 'eyJ.oidc.token',
      RoleArn: 'acs:ram::123:role/eci-virtual-node',
      OIDCProviderArn: 'acs:ram::123:oidc-provider/ack-rrsa-c1',
      RoleSessionName: 'eci-virtual-node',
    });
  });

  it('ECS RAM role: asks the metadata service for the named role, IMDSv2 first', async () => {
    const ecs = credentialProvider({ ALIBABA_CLOUD_ECS_METADATA: 'node-role' });
    expect(ecs.kind).toBe('ecs-ram-role');
    const seen = intercept(ecs, (r) =>
      r.method === 'PUT'
        ? { statusCode: 200, body: Buffer.from('imds-token'), headers: {} }
        : json({
            Code: 'Success',
            AccessKeyId: 'STS.ecs',
            AccessKeySecret: 'es',
            SecurityToken: 'et',
            Expiration: inAnHour(),
          }),
    );
    expect(await ecs.provider.getCredentials()).toMatchObject({ accessKeyId: 'STS.ecs', securityToken: 'et' });
    expect(seen.map((r) => `${r.method} ${r.host}${r.path}`)).toEqual([
      'PUT 100.100.100.200/latest/api/token',
      'GET 100.100.100.200/latest/meta-data/ram/security-credentials/node-role',
    ]);
  });
});

describe('credentials through the client to the emulator', () => {
  let emu: EciEmulator | undefined;
  afterEach(async () => {
    await emu?.stop();
    emu = undefined;
  });

  it('reports a credential that cannot be had as a typed error naming the provider, a bad file without retrying', async () => {
    ({ emu } = await startEmulator());
    const tokenFile = join(tmp(), 'token');
    writeFileSync(tokenFile, 'jwt');
    const rrsa = credentialProvider({
      ALIBABA_CLOUD_ROLE_ARN: 'acs:ram::1:role/r',
      ALIBABA_CLOUD_OIDC_PROVIDER_ARN: 'acs:ram::1:oidc-provider/p',
      ALIBABA_CLOUD_OIDC_TOKEN_FILE: tokenFile,
    });
    const seen = intercept(rrsa, () => ({
      statusCode: 403,
      body: Buffer.from('{"Code":"AuthenticationFail"}'),
      headers: {},
    }));
    const client = new EciClient({
      region: 'cn-hangzhou',
      endpoint: emu.endpoint,
      credentials: rrsa,
      backoffBaseMs: 1,
      maxAttempts: 2,
    });
    const err = await client.call('DescribeContainerGroups', {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Unavailable);
    expect((err as Error).message).toMatch(/credentials \(oidc_role_arn\) unavailable: .*AuthenticationFail/);
    expect(seen).toHaveLength(2); // retried once
    const f = join(tmp(), 'c.json');
    writeFileSync(f, 'not json');
    const file = new EciClient({
      region: 'cn-hangzhou',
      endpoint: emu.endpoint,
      credentials: credentialProvider({ ALIBABA_CLOUD_CREDENTIALS_FILE: f }),
      backoffBaseMs: 1,
    });
    await expect(file.call('DescribeContainerGroups', {})).rejects.toBeInstanceOf(InvalidInput);
    expect(emu.calls).toHaveLength(0);
  });

  it('signs with the STS triple the RRSA provider obtained, and the emulator accepts it', async () => {
    ({ emu } = await startEmulator({ securityTokens: ['rrsa-token'] }));
    const tokenFile = join(tmp(), 'token');
    writeFileSync(tokenFile, 'jwt');
    const rrsa = credentialProvider({
      ALIBABA_CLOUD_ROLE_ARN: 'acs:ram::1:role/r',
      ALIBABA_CLOUD_OIDC_PROVIDER_ARN: 'acs:ram::1:oidc-provider/p',
      ALIBABA_CLOUD_OIDC_TOKEN_FILE: tokenFile,
    });
    intercept(rrsa, () =>
      json({
        Credentials: {
          AccessKeyId: ACCESS_KEY.id,
          AccessKeySecret: ACCESS_KEY.secret,
          SecurityToken: 'rrsa-token',
          Expiration: inAnHour(),
        },
      }),
    );
    const client = new EciClient({ region: 'cn-hangzhou', endpoint: emu.endpoint, credentials: rrsa });
    await expect(client.call('DescribeContainerGroups', {})).resolves.toMatchObject({ TotalCount: 0 });
  });
});
