import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aliasKey, startImageAliasEngine, type ImageAliasEngine } from './image-alias-engine.js';

/** A stand-in engine that records every request and answers pulls with progress objects. */
const seen: string[] = [];
const dir = mkdtempSync(join(tmpdir(), 'alias-test-'));
const upstreamSocket = join(dir, 'up.sock');
const upstream = http.createServer((req, res) => {
  seen.push(`${req.method} ${req.url}`);
  if (req.url?.includes('/images/create')) {
    const from = new URL(req.url, 'http://x').searchParams.get('fromImage');
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(
      from?.includes('missing')
        ? '{"status":"Trying"}\n{"error":"manifest unknown","errorDetail":{"message":"manifest unknown"}}\n'
        : '{"status":"Pulling"}\n{"status":"Download complete"}\n',
    );
    return;
  }
  if (req.url?.includes('/tag?')) {
    res.writeHead(201);
    res.end();
    return;
  }
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.end('[{"Id":"c1"}]');
});

let front: ImageAliasEngine;
beforeAll(async () => {
  await new Promise<void>((r) => upstream.listen(upstreamSocket, () => r()));
  front = await startImageAliasEngine({
    upstream: `unix://${upstreamSocket}`,
    aliases: { foo: '127.0.0.1:5001/eci-virtual/idle:latest', gone: '127.0.0.1:5001/missing:1' },
  });
});
afterAll(async () => {
  await front.close();
  await new Promise<void>((r) => upstream.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

function request(method: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const r = http.request({ socketPath: front.dockerHost.slice('unix://'.length), method, path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    r.on('error', reject);
    r.end();
  });
}

describe('image-alias engine', () => {
  it('treats foo, foo:latest and docker.io/library/foo as one name; other tags and digests are not aliases', () => {
    expect(aliasKey('foo', 'latest')).toBe('foo');
    expect(aliasKey('foo', null)).toBe('foo');
    expect(aliasKey('docker.io/library/foo', 'latest')).toBe('foo');
    expect(aliasKey('foo:latest', null)).toBe('foo');
    expect(aliasKey('foo', '1.0')).toBeUndefined();
    expect(aliasKey('foo@sha256:abc', null)).toBeUndefined();
  });

  it('serves a pull of an alias by pulling the target and tagging it under the alias', async () => {
    seen.length = 0;
    const res = await request('POST', '/v1.41/images/create?fromImage=foo&tag=latest');
    expect(res.status).toBe(200);
    expect(res.body).toContain('Download complete');
    expect(seen).toEqual([
      'POST /v1.41/images/create?fromImage=127.0.0.1%3A5001%2Feci-virtual%2Fidle&tag=latest',
      `POST /v1.41/images/${encodeURIComponent('127.0.0.1:5001/eci-virtual/idle:latest')}/tag?repo=foo&tag=latest`,
    ]);
    expect(front.served).toEqual(['foo']);
  });

  it('passes a failed target pull through without tagging anything', async () => {
    seen.length = 0;
    const res = await request('POST', '/v1.41/images/create?fromImage=gone&tag=latest');
    expect(res.body).toContain('manifest unknown');
    expect(seen.some((s) => s.includes('/tag?'))).toBe(false);
  });

  it('passes every other request through unchanged', async () => {
    seen.length = 0;
    const res = await request('GET', '/v1.41/containers/json?all=true');
    expect(res.body).toBe('[{"Id":"c1"}]');
    const pull = await request('POST', '/v1.41/images/create?fromImage=busybox&tag=1.36');
    expect(pull.body).toContain('Pulling');
    expect(seen).toEqual([
      'GET /v1.41/containers/json?all=true',
      'POST /v1.41/images/create?fromImage=busybox&tag=1.36',
    ]);
  });
});
