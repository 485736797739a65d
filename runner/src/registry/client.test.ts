import { afterEach, describe, expect, it } from '@jest/globals';
import { FakeRegistry } from '../../test/fake-registry/server.js';
import { dockerConfigCredentials, parseChallenges } from './auth.js';
import { BoundedCache } from './bounded-cache.js';
import { ImageConfigError, RegistryClient } from './client.js';
import { parseImageRef } from './image-ref.js';

const amd64 = { os: 'linux', architecture: 'amd64' };
const PG = {
  Entrypoint: ['docker-entrypoint.sh'],
  Cmd: ['postgres'],
  Env: ['PATH=/usr/bin', 'PGDATA=/data'],
  WorkingDir: '/',
  User: 'postgres',
};

const started: FakeRegistry[] = [];
afterEach(() => Promise.all(started.splice(0).map((r) => r.stop())));

async function fake(opts: ConstructorParameters<typeof FakeRegistry>[0] = {}) {
  const registry = await new FakeRegistry(opts).start();
  started.push(registry);
  return registry;
}

const failure = async (p: Promise<unknown>): Promise<ImageConfigError> => {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ImageConfigError);
    return err as ImageConfigError;
  }
  throw new Error('expected a failure');
};

describe('RegistryClient.imageConfig', () => {
  it('follows an OCI index to the manifest of its platform and reads the config blob', async () => {
    const r = await fake();
    r.push('acme/pg', '16', {
      config: { ...PG, Cmd: ['postgres', '-c', 'fsync=off'] },
      platforms: ['linux/arm64/v8', 'linux/amd64'],
    });
    const c = await new RegistryClient({ platform: amd64 }).imageConfig(`${r.host}/acme/pg:16`);
    expect(c).toMatchObject({
      entrypoint: ['docker-entrypoint.sh'],
      cmd: ['postgres', '-c', 'fsync=off'],
      env: ['PATH=/usr/bin', 'PGDATA=/data'],
      workingDir: '/',
      user: 'postgres',
    });
    expect(c.manifestDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    // Every manifest request accepted both OCI and Docker types.
    const accepts = r.requests.filter((q) => q.path.includes('/manifests/')).map((q) => q.accept ?? '');
    for (const a of accepts) {
      expect(a).toContain('application/vnd.oci.image.manifest.v1+json');
      expect(a).toContain('application/vnd.docker.distribution.manifest.v2+json');
    }
  });

  it('picks the arm64 variant for an arm64 node and names the platforms it has when none matches', async () => {
    const r = await fake();
    r.push('multi', 'latest', { config: { Cmd: ['amd'] }, platforms: ['linux/amd64'] });
    r.push('multi', 'arm', { config: { Cmd: ['arm'] }, platforms: ['linux/amd64', 'linux/arm64/v8'] });
    const arm = new RegistryClient({ platform: { os: 'linux', architecture: 'arm64' } });
    expect((await arm.imageConfig(`${r.host}/multi:arm`)).cmd).toEqual(['arm']);
    const err = await failure(arm.imageConfig(`${r.host}/multi`));
    expect(err.code).toBe('InvalidInput');
    expect(err.message).toContain(`image ${r.host}/multi`);
    expect(err.message).toContain('no manifest for linux/arm64 (the index has linux/amd64)');
  });

  it('reads Docker v2 manifests and lists, and OCI manifests without mediaType by their Content-Type', async () => {
    const r = await fake();
    r.push('d/single', 'v1', { config: { Entrypoint: ['/bin/server'] }, format: 'docker' });
    r.push('d/list', 'v1', { config: { Cmd: ['list'] }, format: 'docker', platforms: ['linux/amd64'] });
    r.push('o/bare', 'v1', { config: { Cmd: ['bare'] }, omitMediaType: true });
    const c = new RegistryClient({ platform: amd64 });
    expect(await c.imageConfig(`${r.host}/d/single:v1`)).toMatchObject({ entrypoint: ['/bin/server'], cmd: [] });
    expect((await c.imageConfig(`${r.host}/d/list:v1`)).cmd).toEqual(['list']);
    expect((await c.imageConfig(`${r.host}/o/bare:v1`)).cmd).toEqual(['bare']);
  });

  it('resolves a digest reference and follows a redirected blob', async () => {
    const r = await fake({ redirectBlobs: true });
    const digest = r.push('pinned', 'x', { config: { Cmd: ['pinned'] } });
    const c = await new RegistryClient({ platform: amd64 }).imageConfig(`${r.host}/pinned@${digest}`);
    expect(c).toMatchObject({ cmd: ['pinned'], manifestDigest: digest });
    expect(r.count('/_blobstore/')).toBe(1);
  });

  it('gets an anonymous Bearer token from the realm the 401 names, then reuses it', async () => {
    const r = await fake({ auth: 'bearer' });
    r.push('library/redis', '7', { config: { Cmd: ['redis-server'] } });
    const c = new RegistryClient({ platform: amd64, tagTtlMs: 0 });
    expect((await c.imageConfig(`${r.host}/library/redis:7`)).cmd).toEqual(['redis-server']);
    expect(r.count('/token')).toBe(1);
    await c.imageConfig(`${r.host}/library/redis:7`);
    expect(r.count('/token')).toBe(1); // the token was reused
    const authed = r.requests.filter((q) => q.path.startsWith('/v2/') && q.authorization?.startsWith('Bearer '));
    expect(authed.length).toBeGreaterThan(0);
  });

  it('sends Basic credentials to the token service, and says Unauthorized (naming the image) without them', async () => {
    const creds = { username: 'bot', password: 's3cret-pw' };
    const r = await fake({ auth: 'bearer', credentials: creds });
    r.push('private/app', 'v1', { config: { Cmd: ['app'] } });
    const image = `${r.host}/private/app:v1`;
    const anon = await failure(new RegistryClient({ platform: amd64 }).imageConfig(image));
    expect(anon.code).toBe('Unauthorized');
    expect(anon.message).toContain(`image ${image}`);
    expect(anon.message).toContain('no credentials');
    const credentials = dockerConfigCredentials({
      auths: { [r.host]: { auth: Buffer.from('bot:s3cret-pw').toString('base64') } },
    });
    expect((await new RegistryClient({ platform: amd64, credentials }).imageConfig(image)).cmd).toEqual(['app']);
    const wrong = dockerConfigCredentials({ auths: { [r.host]: { username: 'bot', password: 'nope' } } });
    const err = await failure(new RegistryClient({ platform: amd64, credentials: wrong }).imageConfig(image));
    expect(err.code).toBe('Unauthorized');
    expect(err.message).not.toContain('nope');
  });

  it('answers a Basic challenge with the credentials', async () => {
    const r = await fake({ auth: 'basic', credentials: { username: 'u', password: 'p' } });
    r.push('b/app', 'v1', { config: { Cmd: ['b'] } });
    const credentials = dockerConfigCredentials({ auths: { [`http://${r.host}`]: { username: 'u', password: 'p' } } });
    expect((await new RegistryClient({ platform: amd64, credentials }).imageConfig(`${r.host}/b/app:v1`)).cmd).toEqual([
      'b',
    ]);
    expect((await failure(new RegistryClient({ platform: amd64 }).imageConfig(`${r.host}/b/app:v1`))).code).toBe(
      'Unauthorized',
    );
  });

  it('maps the spec error body: NotFound for an unknown manifest, Unavailable for 5xx and an unreachable registry', async () => {
    const r = await fake();
    const missing = await failure(new RegistryClient({ platform: amd64 }).imageConfig(`${r.host}/nope:1`));
    expect(missing.code).toBe('NotFound');
    expect(missing.message).toContain('MANIFEST_UNKNOWN');
    expect(missing.image).toBe(`${r.host}/nope:1`);
    const broken = await fake({ failManifests: 503 });
    expect((await failure(new RegistryClient({ platform: amd64 }).imageConfig(`${broken.host}/x:1`))).code).toBe(
      'Unavailable',
    );
    const host = broken.host;
    await broken.stop();
    const gone = await failure(new RegistryClient({ platform: amd64, timeoutMs: 2000 }).imageConfig(`${host}/x:1`));
    expect(gone.code).toBe('Unavailable');
    expect(gone.message).toContain('registry unreachable');
  });

  it('caches by tag for a while, by digest for good, and remembers failures briefly', async () => {
    const r = await fake();
    r.push('c/app', 'v1', { config: { Cmd: ['one'] }, platforms: ['linux/amd64'] });
    let now = 0;
    const clock = () => now;
    const c = new RegistryClient({ platform: amd64, tagTtlMs: 1000, failureTtlMs: 1000 });
    (c as unknown as { byRef: BoundedCache<unknown> }).byRef = new BoundedCache(8, clock);
    await c.imageConfig(`${r.host}/c/app:v1`);
    const first = r.requests.length;
    await Promise.all([c.imageConfig(`${r.host}/c/app:v1`), c.imageConfig(`${r.host}/c/app:v1`)]);
    expect(r.requests.length).toBe(first);
    now = 2000; // the tag's answer expired: the index is read again, the config comes from the digest cache
    await c.imageConfig(`${r.host}/c/app:v1`);
    expect(r.requests.length).toBe(first + 1);
    const missing = `${r.host}/c/none:v1`;
    await failure(c.imageConfig(missing));
    const before = r.requests.length;
    await failure(c.imageConfig(missing));
    expect(r.requests.length).toBe(before);
  });

  it('uses http only for loopback and insecure registries', () => {
    const c = new RegistryClient({ insecure: ['registry.internal:5000', 'plain.example'] });
    expect(c.schemeOf('127.0.0.1:5001')).toBe('http');
    expect(c.schemeOf('localhost:5000')).toBe('http');
    expect(c.schemeOf('registry.internal:5000')).toBe('http');
    expect(c.schemeOf('plain.example:443')).toBe('http');
    expect(c.schemeOf('registry.internal:6000')).toBe('https');
    expect(c.schemeOf('docker.io')).toBe('https');
    expect(c.schemeOf('ghcr.io')).toBe('https');
  });
});

describe('parseImageRef', () => {
  it('reads references as docker pull does', () => {
    expect(parseImageRef('postgres')).toMatchObject({
      registry: 'docker.io',
      apiHost: 'registry-1.docker.io',
      repository: 'library/postgres',
      reference: 'latest',
      pinned: false,
    });
    expect(parseImageRef('bitnami/redis:7.2')).toMatchObject({ repository: 'bitnami/redis', reference: '7.2' });
    expect(parseImageRef('127.0.0.1:5001/eci-virtual/busybox:latest')).toMatchObject({
      registry: '127.0.0.1:5001',
      apiHost: '127.0.0.1:5001',
      repository: 'eci-virtual/busybox',
    });
    expect(parseImageRef('localhost/app')).toMatchObject({ registry: 'localhost', repository: 'app' });
    const d = `sha256:${'a'.repeat(64)}`;
    expect(parseImageRef(`ghcr.io/o/r:tag@${d}`)).toMatchObject({ registry: 'ghcr.io', reference: d, pinned: true });
    expect(() => parseImageRef('Upper/Case')).toThrow('not a valid reference');
  });
});

describe('parseChallenges', () => {
  it('reads Bearer and Basic challenges with quoted parameters', () => {
    expect(
      parseChallenges(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/pg:pull"',
      ),
    ).toEqual([
      {
        scheme: 'bearer',
        params: {
          realm: 'https://auth.docker.io/token',
          service: 'registry.docker.io',
          scope: 'repository:library/pg:pull',
        },
      },
    ]);
    expect(parseChallenges('Basic realm="x, y", Bearer realm=r')).toEqual([
      { scheme: 'basic', params: { realm: 'x, y' } },
      { scheme: 'bearer', params: { realm: 'r' } },
    ]);
  });

  it('maps Docker Hub keys of config.json to docker.io', () => {
    const creds = dockerConfigCredentials({
      auths: { 'https://index.docker.io/v1/': { auth: Buffer.from('a:b:c').toString('base64') } },
    });
    expect(creds('docker.io')).toEqual({ username: 'a', password: 'b:c' });
    expect(creds('ghcr.io')).toBeUndefined();
  });
});

describe('RegistryClient.manifestDigest', () => {
  it("HEADs the tag's manifest and reads Docker-Content-Digest; a moved tag answers its new digest", async () => {
    const r = await fake({ auth: 'bearer' });
    r.push('acme/app', '1', { config: { Cmd: ['v1'] }, platforms: ['linux/amd64'] });
    const c = new RegistryClient({ platform: amd64 });
    const first = await c.manifestDigest(`${r.host}/acme/app:1`);
    expect(first).toMatch(/^sha256:[0-9a-f]{64}$/);
    const heads = r.requests.filter((q) => q.path === '/v2/acme/app/manifests/1');
    // One 401 (the token dance), then the authorised HEAD; no body was fetched.
    expect(heads.map((q) => q.method)).toEqual(['HEAD', 'HEAD']);
    expect(heads[1]!.accept).toContain('application/vnd.oci.image.index.v1+json');
    expect(r.requests.some((q) => q.method === 'GET' && q.path.includes('/manifests/'))).toBe(false);
    // The digest is the index's own, as `docker pull` would report it.
    expect((await c.imageConfig(`${r.host}/acme/app:1`)).manifestDigest).not.toBe(first);
    r.push('acme/app', '1', { config: { Cmd: ['v2'] }, platforms: ['linux/amd64'] });
    const moved = await c.manifestDigest(`${r.host}/acme/app:1`);
    expect(moved).toMatch(/^sha256:/);
    expect(moved).not.toBe(first);
  });

  it('answers a pinned reference without asking, and fails with the image named when the tag is unknown', async () => {
    const r = await fake();
    const c = new RegistryClient({ platform: amd64 });
    const pinned = `sha256:${'a'.repeat(64)}`;
    expect(await c.manifestDigest(`${r.host}/x/y@${pinned}`)).toBe(pinned);
    expect(r.requests).toEqual([]);
    const err = await failure(c.manifestDigest(`${r.host}/x/y:nope`));
    expect(err.message).toContain(`${r.host}/x/y:nope`);
  });
});
