import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { planBuild, repositoryOf, type RawInputs } from './inputs.js';

const ws = mkdtempSync(join(tmpdir(), 'eci-build-inputs-'));
mkdirSync(join(ws, 'app'));
writeFileSync(join(ws, 'app', 'Dockerfile'), 'FROM scratch\n');
writeFileSync(join(ws, 'app', 'Containerfile'), 'FROM scratch\n');

const raw = (over: Partial<RawInputs> = {}): RawInputs => ({
  context: 'app',
  dockerfile: '',
  destination: 'registry.example.com/team/app:1.0',
  buildArgs: '',
  target: '',
  cache: '',
  cacheRepo: '',
  cacheTtl: '',
  push: '',
  registryMirror: '',
  insecureRegistries: '',
  registryMap: '',
  ...over,
});

describe('build-image inputs', () => {
  it('plans a build with defaults: Dockerfile in the context, push on, cache off', () => {
    const plan = planBuild(raw(), ws);
    expect(plan.options).toMatchObject({
      context: join(ws, 'app'),
      dockerfile: 'Dockerfile',
      destinations: ['registry.example.com/team/app:1.0'],
    });
    expect(plan.options.noPush).toBeUndefined();
    expect(plan.options.cache).toBeUndefined();
  });

  it('parses lists, build args, cache with a derived repository, and masks secret-looking build args', () => {
    const plan = planBuild(
      raw({
        destination: 'r.io/a/b:1, r.io/a/b:latest',
        buildArgs: 'VERSION=1.2\nNPM_TOKEN=abc=def\n',
        cache: 'true',
        cacheTtl: '24h',
        insecureRegistries: '10.88.0.1:5001',
        registryMap: '127.0.0.1:5001=10.88.0.1:5001',
        dockerfile: 'Containerfile',
        target: 'final',
      }),
      ws,
    );
    expect(plan.options.destinations).toEqual(['r.io/a/b:1', 'r.io/a/b:latest']);
    expect(plan.options.buildArgs).toEqual({ VERSION: '1.2', NPM_TOKEN: 'abc=def' });
    expect(plan.options.cache).toEqual({ repo: 'r.io/a/b/cache', ttl: '24h', copyLayers: true });
    expect(plan.options.registryMap).toEqual({ '127.0.0.1:5001': '10.88.0.1:5001' });
    expect(plan.options.dockerfile).toBe('Containerfile');
    expect(plan.options.target).toBe('final');
    expect(plan.secretValues).toEqual(['abc=def']);
  });

  it.each([
    [{ context: 'nope' }, /input "context": nope .* is not a directory/],
    [{ dockerfile: 'Missing' }, /input "dockerfile": Missing not found in the context app/],
    [{ dockerfile: '../Dockerfile' }, /outside the build context/],
    [{ destination: '' }, /input "destination" is required when push is true/],
    [{ destination: 'Team/App:1' }, /not a valid image reference/],
    [{ destination: 'r.io/a/b' }, /needs a tag or digest/],
    [{ push: 'maybe' }, /input "push" must be true or false/],
    [{ buildArgs: 'novalue' }, /"novalue" is not KEY=VALUE/],
    [{ cache: 'true', push: 'false', destination: '' }, /"cache-repo" is required/],
  ])('refuses %j before any build', (over, message) => {
    expect(() => planBuild(raw(over), ws)).toThrow(message);
  });

  it('takes the repository of a reference', () => {
    expect(repositoryOf('127.0.0.1:5001/a/b:tag')).toBe('127.0.0.1:5001/a/b');
    expect(repositoryOf('r.io/a@sha256:0')).toBe('r.io/a');
    expect(repositoryOf('a/b')).toBe('a/b');
  });
});
