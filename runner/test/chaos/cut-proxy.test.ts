import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { CutProxy } from './cut-proxy.js';

describe('CutProxy', () => {
  let echo: Server;
  let proxy: CutProxy;

  beforeAll(async () => {
    echo = createServer((s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    proxy = new CutProxy('127.0.0.1', (echo.address() as { port: number }).port);
    await proxy.start();
  });

  afterAll(async () => {
    await proxy.stop();
    await new Promise((r) => echo.close(r));
  });

  const open = () =>
    new Promise<Socket>((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port: proxy.port }, () => resolve(s));
      s.once('error', reject);
    });

  it('forwards bytes both ways, then drops every open connection on cut() and accepts new ones', async () => {
    const a = await open();
    const b = await open();
    const got = new Promise<string>((r) => a.once('data', (d) => r(d.toString())));
    a.write('ping');
    expect(await got).toBe('ping');
    const closed = Promise.all([a, b].map((s) => new Promise((r) => s.once('close', r))));
    expect(proxy.cut()).toBe(4); // two clients, two upstreams
    await closed;
    const c = await open();
    const again = new Promise<string>((r) => c.once('data', (d) => r(d.toString())));
    c.write('pong');
    expect(await again).toBe('pong');
    c.destroy();
  });
});
