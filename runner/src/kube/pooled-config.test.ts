import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as k8s from '@kubernetes/client-node';
import { agentKey, PooledKubeConfig } from './pooled-config.js';

/** A stand-in API server over plain HTTP that counts the TCP connections it accepts. */
let server: Server;
let connections = 0;
let url = '';

beforeAll(async () => {
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ci' } }));
  });
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

function load<T extends k8s.KubeConfig>(kc: T): T {
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: url, skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}

async function connectionsFor(kc: k8s.KubeConfig, calls: number): Promise<number> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const before = connections;
  for (let i = 0; i < calls; i++) await core.readNamespace({ name: 'ci' });
  return connections - before;
}

describe('PooledKubeConfig', () => {
  it("the library's own config opens a connection per call (why the pool exists)", async () => {
    expect(await connectionsFor(load(new k8s.KubeConfig()), 5)).toBe(5);
  });

  it('sequential calls share one keep-alive connection', async () => {
    const kc = load(new PooledKubeConfig());
    expect(await connectionsFor(kc, 5)).toBe(1);
    kc.closePools();
  });

  it('keys pools by server and credentials', () => {
    const a = agentKey('https://a', { ca: 'CA', cert: 'C1', key: 'K' });
    expect(agentKey('https://a', { ca: 'CA', cert: 'C1', key: 'K' })).toBe(a);
    expect(agentKey('https://a', { ca: 'CA', cert: 'C2', key: 'K' })).not.toBe(a);
    expect(agentKey('https://b', { ca: 'CA', cert: 'C1', key: 'K' })).not.toBe(a);
    expect(agentKey('https://a', { ca: 'CA', cert: 'C1', key: 'K', rejectUnauthorized: false })).not.toBe(a);
  });
});
