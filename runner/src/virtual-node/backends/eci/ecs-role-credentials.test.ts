import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { credentialProvider } from './credentials.js';
import { ecsRoleCredentials } from './ecs-role-credentials.js';

/** A stand-in for the ECS metadata service: IMDSv2 session tokens and one attached RAM role. */
function metadataService(opts: { role: string; tokens?: boolean; expiresInMs?: () => number }) {
  const seen: string[] = [];
  let issued = 0;
  const server: Server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url} ${req.headers['x-aliyun-ecs-metadata-token'] ?? '-'}`);
    if (req.method === 'PUT' && req.url === '/latest/api/token') {
      if (opts.tokens === false) return res.writeHead(404).end();
      if (!req.headers['x-aliyun-ecs-metadata-token-ttl-seconds']) return res.writeHead(400).end();
      return res.end('session-token');
    }
    if (req.url !== `/latest/meta-data/ram/security-credentials/${opts.role}`) return res.writeHead(404).end();
    if (opts.tokens !== false && req.headers['x-aliyun-ecs-metadata-token'] !== 'session-token')
      return res.writeHead(401).end();
    issued++;
    res.setHeader('content-type', 'text/plain');
    res.end(
      JSON.stringify({
        Code: 'Success',
        AccessKeyId: `STS.key${issued}`,
        AccessKeySecret: 'secret',
        SecurityToken: `token${issued}`,
        Expiration: new Date(Date.now() + (opts.expiresInMs?.() ?? 3_600_000)).toISOString(),
      }),
    );
  });
  return {
    seen,
    start: () =>
      new Promise<string>((resolve) =>
        server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
      ),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});

async function started(opts: Parameters<typeof metadataService>[0]) {
  const svc = metadataService(opts);
  const endpoint = await svc.start();
  stops.push(svc.stop);
  return { svc, endpoint };
}

describe('ECS instance RAM role credentials', () => {
  it('fetches the role over IMDSv2, caches it, and shares one refresh between concurrent callers', async () => {
    const { svc, endpoint } = await started({ role: 'eci-node' });
    const get = ecsRoleCredentials({ role: 'eci-node', endpoint });
    const [a, b] = await Promise.all([get(), get()]);
    expect(a).toEqual({ accessKeyId: 'STS.key1', accessKeySecret: 'secret', securityToken: 'token1' });
    expect(b).toEqual(a);
    expect(await get()).toEqual(a);
    expect(svc.seen).toEqual([
      'PUT /latest/api/token -',
      'GET /latest/meta-data/ram/security-credentials/eci-node session-token',
    ]);
  });

  it('refreshes before the STS credentials expire', async () => {
    let t = Date.now();
    const { endpoint } = await started({ role: 'r', expiresInMs: () => 10 * 60_000 });
    const get = ecsRoleCredentials({ role: 'r', endpoint, now: () => t });
    expect((await get()).accessKeyId).toBe('STS.key1');
    t += 6 * 60_000; // 4 min left: still fine
    expect((await get()).accessKeyId).toBe('STS.key1');
    t += 2 * 60_000; // 2 min left: refresh
    expect((await get()).accessKeyId).toBe('STS.key2');
  });

  it('falls back to IMDSv1 unless that is disabled', async () => {
    const { svc, endpoint } = await started({ role: 'r', tokens: false });
    expect((await ecsRoleCredentials({ role: 'r', endpoint })()).accessKeyId).toBe('STS.key1');
    expect(svc.seen.at(-1)).toBe('GET /latest/meta-data/ram/security-credentials/r -');
    await expect(ecsRoleCredentials({ role: 'r', endpoint, imdsV1Disabled: true })()).rejects.toThrow(
      /refused a session token \(HTTP 404\)/,
    );
  });

  it('says which role is missing, and when the metadata service is not there', async () => {
    const { endpoint } = await started({ role: 'attached' });
    await expect(ecsRoleCredentials({ role: 'other', endpoint })()).rejects.toThrow(
      /RAM role "other" is not attached to this ECS instance/,
    );
    await expect(ecsRoleCredentials({ role: 'r', endpoint: 'http://127.0.0.1:9', timeoutMs: 500 })()).rejects.toThrow(
      /ECS metadata service unreachable/,
    );
  });

  it('is the last link of the node credential chain', async () => {
    const { endpoint } = await started({ role: 'node-role' });
    expect(credentialProvider({ ALIBABA_CLOUD_ACCESS_KEY_ID: 'a', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 's' }).source).toBe(
      'env',
    );
    const chain = credentialProvider({ ALIBABA_CLOUD_ECS_METADATA: 'node-role' }, endpoint);
    expect(chain.source).toBe('ecs-ram-role');
    expect((await chain.get()).securityToken).toBe('token1');
    expect(
      credentialProvider({ ALIBABA_CLOUD_ECS_METADATA: 'node-role', ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true' })
        .source,
    ).toBe('none');
  });
});
