import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { MAX_FREE_SOCKETS, PooledKubeConfig, sameAgentIdentity, withSharedSecureContext } from './pooled-config.js';

/** A stand-in API server over plain HTTP that counts the TCP connections it accepts. */
let server: Server;
let connections = 0;
let url = '';
/** How long the stand-in takes to answer, so that concurrent calls overlap. */
let answerMs = 0;

beforeAll(async () => {
  server = createServer((_req, res) => {
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ci' } }));
    }, answerMs);
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

  it('a burst keeps the connections it opened: the next burst opens none (no handshake churn)', async () => {
    const kc = load(new PooledKubeConfig());
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const burst = async () => {
      const before = connections;
      await Promise.all(Array.from({ length: 100 }, () => core.readNamespace({ name: 'ci' })));
      return connections - before;
    };
    answerMs = 20;
    try {
      expect(await burst()).toBe(100);
      expect(await burst()).toBe(0);
      expect(MAX_FREE_SOCKETS).toBeGreaterThanOrEqual(100);
    } finally {
      answerMs = 0;
      kc.closePools();
    }
  });

  it('shares connections by server and credentials, compared by content', () => {
    const a = { server: 'https://a', options: { ca: Buffer.from('CA'), cert: 'C1', key: Buffer.from('K') } };
    const same = { server: 'https://a', options: { ca: Buffer.from('CA'), cert: 'C1', key: Buffer.from('K') } };
    expect(sameAgentIdentity(a, same)).toBe(true);
    expect(sameAgentIdentity(a, { ...a, options: { ...a.options, cert: 'C2' } })).toBe(false);
    expect(sameAgentIdentity(a, { ...a, options: { ...a.options, key: Buffer.from('K2') } })).toBe(false);
    expect(sameAgentIdentity(a, { ...a, server: 'https://b' })).toBe(false);
    expect(sameAgentIdentity(a, { ...a, options: { ...a.options, rejectUnauthorized: false } })).toBe(false);
    expect(sameAgentIdentity(a, { ...a, options: { ...a.options, ca: [Buffer.from('CA')] } })).toBe(false);
    // Every option the pool's shared TLS context is made of counts, not only the credentials.
    expect(sameAgentIdentity(a, { ...a, options: { ...a.options, ciphers: 'TLS_AES_128_GCM_SHA256' } })).toBe(false);
    expect(sameAgentIdentity(a, { ...a, options: { ...a.options, crl: Buffer.from('CRL') } })).toBe(false);
  });

  it('over TLS, every connection of a pool presents the client certificate from the one shared context', async () => {
    // One self-signed certificate for 127.0.0.1 serves as the server's, the client's and the CA (openssl, as the
    // cluster's PKI is made).
    const dir = mkdtempSync(join(tmpdir(), 'pooled-tls-'));
    const [keyFile, certFile] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        keyFile,
        '-out',
        certFile,
      ],
      { stdio: 'ignore' },
    );
    const [key, cert] = [readFileSync(keyFile), readFileSync(certFile)];
    rmSync(dir, { recursive: true, force: true });
    let secured = 0;
    const tls = createTlsServer({ key, cert, ca: cert, requestCert: true, rejectUnauthorized: true }, (req, res) => {
      const authorized = (req.socket as import('node:tls').TLSSocket).authorized;
      setTimeout(() => {
        res.writeHead(authorized ? 200 : 401, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ci' } }));
      }, 20);
    });
    tls.on('secureConnection', () => secured++);
    await new Promise<void>((r) => tls.listen(0, '127.0.0.1', r));
    const kc = new PooledKubeConfig();
    const b64 = (b: Buffer) => b.toString('base64');
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: `https://127.0.0.1:${(tls.address() as AddressInfo).port}`, caData: b64(cert) }],
      users: [{ name: 'u', certData: b64(cert), keyData: b64(key) }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    const core = kc.makeApiClient(k8s.CoreV1Api);
    try {
      const names = await Promise.all(
        Array.from({ length: 20 }, async () => (await core.readNamespace({ name: 'ci' })).metadata?.name),
      );
      expect(names).toEqual(Array.from({ length: 20 }, () => 'ci'));
      expect(secured).toBe(20);
    } finally {
      kc.closePools();
      tls.closeAllConnections();
      await new Promise((r) => tls.close(r));
    }
    const shared = withSharedSecureContext({ ca: cert, cert, key, servername: 'api', rejectUnauthorized: true });
    expect(shared.secureContext).toBeDefined();
    expect(shared).toMatchObject({ servername: 'api', rejectUnauthorized: true });
  });
});
