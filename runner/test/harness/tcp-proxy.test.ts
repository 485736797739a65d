import { describe, expect, it } from '@jest/globals';
import { createServer } from 'node:http';
import { connect } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromPodNetwork, unixSocketOverTcp } from './tcp-proxy.js';

describe('unixSocketOverTcp', () => {
  it('admits the pod network around the host address and loopback only', () => {
    expect(fromPodNetwork('10.88.3.7', '10.88.0.1')).toBe(true);
    expect(fromPodNetwork('::ffff:10.88.0.9', '10.88.0.1')).toBe(true);
    expect(fromPodNetwork('127.0.0.1', '10.88.0.1')).toBe(true);
    expect(fromPodNetwork('192.0.2.10', '10.88.0.1')).toBe(false);
    expect(fromPodNetwork('10.89.0.2', '10.88.0.1')).toBe(false);
    expect(fromPodNetwork(undefined, '10.88.0.1')).toBe(false);
  });

  it('listens even when the host address does not exist yet, and relays bytes both ways', async () => {
    const socketPath = join(mkdtempSync(join(tmpdir(), 'tcp-proxy-')), 'api.sock');
    const upstream = createServer((req, res) => res.end(`pong ${req.url}`));
    await new Promise<void>((r) => upstream.listen(socketPath, r));
    // 203.0.113.1 (TEST-NET-3) is on no interface here: binding it would fail with EADDRNOTAVAIL.
    const proxy = await unixSocketOverTcp(socketPath, '203.0.113.1');
    try {
      const answer = await new Promise<string>((resolve, reject) => {
        const sock = connect(proxy.port, '127.0.0.1', () => sock.end('GET /ping HTTP/1.0\r\n\r\n'));
        let data = '';
        sock.on('data', (c: Buffer) => (data += c.toString()));
        sock.on('end', () => resolve(data));
        sock.on('error', reject);
      });
      expect(answer).toContain('pong /ping');
    } finally {
      await proxy.close();
      await new Promise<void>((r) => upstream.close(() => r()));
    }
  });
});
