import { describe, expect, it } from '@jest/globals';
import { InvalidInput } from '@eci-virtual/contract';
import {
  kanikoArgs,
  localRegistryAccess,
  resolveDockerfile,
  validateImageReference,
  type KanikoBuildOptions,
} from './kaniko-args.js';

const base: KanikoBuildOptions = { context: '/__w/app', destinations: ['10.88.0.1:5001/team/app:1'] };

describe('kanikoArgs', () => {
  it('builds the argv that worked against the local engine (multi-stage build, registry cache, mapped pulls)', () => {
    expect(
      kanikoArgs({
        context: '/__w/ctx',
        destinations: ['10.88.0.1:5099/eci-virtual/kaniko-demo:1'],
        cache: { repo: '10.88.0.1:5099/eci-virtual/kaniko-demo/cache', ttl: '24h' },
        ...localRegistryAccess('127.0.0.1:5001', '10.88.0.1'),
        registryMap: { '127.0.0.1:5001': '10.88.0.1:5099' },
        insecureRegistries: ['10.88.0.1:5099'],
        digestFile: '/__w/out/digest',
        imageNameWithDigestFile: '/__w/out/image',
      }),
    ).toEqual([
      '/kaniko/executor',
      '--context=dir:///__w/ctx',
      '--dockerfile=/__w/ctx/Dockerfile',
      '--destination=10.88.0.1:5099/eci-virtual/kaniko-demo:1',
      '--cache=true',
      '--cache-repo=10.88.0.1:5099/eci-virtual/kaniko-demo/cache',
      '--cache-ttl=24h',
      '--insecure-registry=10.88.0.1:5099',
      '--registry-map=127.0.0.1:5001=10.88.0.1:5099',
      '--digest-file=/__w/out/digest',
      '--image-name-with-digest-file=/__w/out/image',
      '--ignore-path=/busybox',
      '--cleanup',
      '--log-format=text',
    ]);
  });

  it('always keeps /busybox, cleans up and logs as text, with no duplicate ignore paths', () => {
    const args = kanikoArgs({ ...base, ignorePaths: ['/busybox/', '/__w/cache'] });
    expect(args.filter((a) => a.startsWith('--ignore-path='))).toEqual([
      '--ignore-path=/busybox',
      '--ignore-path=/__w/cache',
    ]);
    expect(args.slice(-2)).toEqual(['--cleanup', '--log-format=text']);
  });

  it('passes the optional flags through', () => {
    const args = kanikoArgs({
      ...base,
      dockerfile: 'docker/./Release.Dockerfile',
      buildArgs: { VERSION: '1.2.3', EMPTY: '' },
      labels: { 'org.opencontainers.image.source': 'https://github.com/o/r' },
      target: 'release',
      cache: { repo: '10.88.0.1:5001/team/app/cache', copyLayers: true },
      snapshotMode: 'redo',
      reproducible: true,
      singleSnapshot: true,
      pushRetry: 2,
      verbosity: 'debug',
    });
    expect(args).toEqual(
      expect.arrayContaining([
        '--dockerfile=/__w/app/docker/Release.Dockerfile',
        '--build-arg=VERSION=1.2.3',
        '--build-arg=EMPTY=',
        '--label=org.opencontainers.image.source=https://github.com/o/r',
        '--target=release',
        '--cache-copy-layers',
        '--snapshot-mode=redo',
        '--reproducible',
        '--single-snapshot',
        '--push-retry=2',
        '--verbosity=debug',
      ]),
    );
  });

  it('allows a build without destinations only with noPush', () => {
    expect(() => kanikoArgs({ ...base, destinations: [] })).toThrow(InvalidInput);
    expect(kanikoArgs({ ...base, destinations: [], noPush: true })).toContain('--no-push');
  });

  it.each([
    [{ context: 'app' }, /absolute/],
    [{ context: '/__w/../etc' }, /".."/],
    [{ context: '/' }, /cannot be "\/"/],
    [{ context: '/__w/a\nb' }, /control characters/],
    [{ dockerfile: '/etc/passwd' }, /relative to the build context/],
    [{ dockerfile: '../Dockerfile' }, /outside the build context/],
    [{ dockerfile: 'a/../../Dockerfile' }, /outside the build context/],
    [{ destinations: ['Team/App:1'] }, /not a valid image reference/],
    [{ destinations: ['10.88.0.1:5001/team/app'] }, /needs a tag or digest/],
    [{ destinations: ['10.88.0.1:5001/team/app:bad tag'] }, /not a valid image reference/],
    [{ destinations: ['10.88.0.1:5001/team/app:1 --insecure'] }, /not a valid image reference/],
    [{ cache: { repo: '10.88.0.1:5001/team/app/cache:latest' } }, /not a repository name/],
    [{ cache: { repo: '10.88.0.1:5001/c', ttl: '2 weeks' } }, /not a duration/],
    [{ buildArgs: { 'BAD-NAME': 'x' } }, /build arg name/],
    [{ buildArgs: { OK: 'line\nbreak' } }, /control characters/],
    [{ labels: { 'a=b': 'x' } }, /label name/],
    [{ target: '-stage' }, /not a stage name/],
    [{ insecureRegistries: ['http://10.88.0.1:5001'] }, /registry host\[:port\]/],
    [{ registryMap: { '127.0.0.1:5001': 'a b' } }, /registry map target/],
    [{ digestFile: 'digest' }, /absolute/],
    [{ ignorePaths: ['busybox'] }, /absolute/],
    [{ pushRetry: 99 }, /push retry/],
    [{ snapshotMode: 'fast' as never }, /snapshot mode/],
    [{ verbosity: 'loud' as never }, /verbosity/],
  ] as [Partial<KanikoBuildOptions>, RegExp][])('refuses %j', (override, message) => {
    expect(() => kanikoArgs({ ...base, ...override })).toThrow(InvalidInput);
    expect(() => kanikoArgs({ ...base, ...override })).toThrow(message);
  });
});

describe('validateImageReference', () => {
  it.each([
    'busybox:latest',
    '127.0.0.1:5001/eci-virtual/busybox:latest',
    'registry.example.com/a/b/c:v1.2.3-rc.1',
    `10.88.0.1:5001/team/app@sha256:${'a'.repeat(64)}`,
    `localhost/app:1@sha256:${'0'.repeat(64)}`,
  ])('accepts %s', (ref) => expect(() => validateImageReference(ref)).not.toThrow());

  it.each(['', 'app:', ':1', 'app@sha256:abc', 'UPPER/app:1', 'a//b:1', `app:${'x'.repeat(129)}`])(
    'refuses %j',
    (ref) => expect(() => validateImageReference(ref)).toThrow(InvalidInput),
  );
});

describe('resolveDockerfile', () => {
  it('defaults to Dockerfile in the context and normalizes', () => {
    expect(resolveDockerfile('/__w/app')).toBe('/__w/app/Dockerfile');
    expect(resolveDockerfile('/__w/app', './sub//x.Dockerfile')).toBe('/__w/app/sub/x.Dockerfile');
  });
});

describe('localRegistryAccess', () => {
  it('maps the host loopback registry to the bridge gateway and marks the latter plain HTTP', () => {
    expect(localRegistryAccess('127.0.0.1:5001', '10.88.0.1')).toEqual({
      registryMap: { '127.0.0.1:5001': '10.88.0.1:5001' },
      insecureRegistries: ['10.88.0.1:5001'],
    });
  });
});
