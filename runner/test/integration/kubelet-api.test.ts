/**
 * The kubelet API served by a virtual node, called directly (as the API server and monitoring would): callers must
 * authenticate (client cert signed by the cluster CA, or a bearer token the API server vouches for) and be allowed
 * nodes/<subresource>; read-only endpoints and Prometheus metrics answer with real data.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import http from 'node:http';
import type { KubeClients } from '../../src/kube/client.js';
import { freePort } from '../../scripts/lib/node-process.js';
import { startTestNode, stopTestNode, type TestNode } from '../harness/test-node.js';
import { readTestEnv } from '../harness/env.js';
import { eventually } from '../harness/kube.js';
import { virtualPod } from '../harness/pods.js';

jest.setTimeout(120_000);

interface Reply {
  status: number;
  body: string;
}

function get(url: string, opts: { token?: string; cert?: string; key?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const lib = url.startsWith('https') ? https : http;
    const req = lib.get(
      url,
      {
        rejectUnauthorized: false,
        ...(opts.cert ? { cert: readFileSync(opts.cert), key: readFileSync(opts.key!) } : {}),
        headers: opts.token ? { Authorization: `Bearer ${opts.token}` } : {},
      },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
  });
}

describe('kubelet API', () => {
  let kube: KubeClients;
  let ns: string;
  let base: string;
  let metricsPort: number;
  let nodeName: string;
  let t: TestNode | undefined;
  const admin = () => {
    const pki = readTestEnv().kubeconfig.replace(/kubeconfig$/, 'pki');
    return { cert: `${pki}/apiserver-kubelet-client.crt`, key: `${pki}/apiserver-kubelet-client.key` };
  };

  beforeAll(async () => {
    const env = readTestEnv();
    const port = await freePort();
    metricsPort = await freePort();
    base = `https://127.0.0.1:${port}`;
    t = await startTestNode('kapi', ['--metrics-port', String(metricsPort)], port);
    ({ kube, ns, nodeName } = t);
    await kube.core.createNamespacedPod({
      namespace: ns,
      body: virtualPod('idle', nodeName, [
        { name: 'main', image: env.engine.images.busybox, command: ['sleep', '300'] },
      ]),
    });
    await eventually(
      'pod running',
      async () =>
        (await kube.core.readNamespacedPod({ namespace: ns, name: 'idle' })).status?.phase === 'Running'
          ? true
          : undefined,
      60_000,
    );
  });

  afterAll(() => stopTestNode(t));

  it('answers /healthz without credentials and refuses anonymous callers elsewhere', async () => {
    expect(await get(`${base}/healthz`)).toEqual({ status: 200, body: 'ok' });
    expect((await get(`${base}/pods`)).status).toBe(401);
  });

  it('accepts the API server client certificate and lists the pods it runs', async () => {
    const res = await get(`${base}/pods`, admin());
    expect(res.status).toBe(200);
    const list = JSON.parse(res.body) as { kind: string; items: { metadata: { name: string } }[] };
    expect(list.kind).toBe('PodList');
    expect(list.items.map((p) => p.metadata.name)).toContain('idle');
    const running = JSON.parse((await get(`${base}/runningpods/`, admin())).body) as { items: unknown[] };
    expect(running.items.length).toBeGreaterThan(0);
    const summary = JSON.parse((await get(`${base}/stats/summary`, admin())).body) as { node: { nodeName: string } };
    expect(summary.node.nodeName).toBe(nodeName);
  });

  it('checks bearer tokens with TokenReview and nodes/proxy with SubjectAccessReview', async () => {
    await kube.core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'nobody' } } });
    const token = await kube.core.createNamespacedServiceAccountToken({
      namespace: ns,
      name: 'nobody',
      body: { spec: { audiences: [], expirationSeconds: 600 } },
    });
    const res = await get(`${base}/pods`, { token: token.status!.token });
    expect(res.status).toBe(403);
    expect(res.body).toContain(`may not get nodes/proxy on ${nodeName}`);
    expect((await get(`${base}/pods`, { token: 'not-a-real-token' })).status).toBe(401);
    // Granting nodes/proxy makes the same token work.
    await kube.rbac.createClusterRole({
      body: {
        metadata: { name: `${ns}-proxy` },
        rules: [{ apiGroups: [''], resources: ['nodes/proxy'], verbs: ['get'] }],
      },
    });
    await kube.rbac.createClusterRoleBinding({
      body: {
        metadata: { name: `${ns}-proxy` },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `${ns}-proxy` },
        subjects: [{ kind: 'ServiceAccount', name: 'nobody', namespace: ns }],
      },
    });
    try {
      // Denials are cached for 5 s, so the new permission shows within seconds.
      let last: Reply | undefined;
      const fresh = await kube.core.createNamespacedServiceAccountToken({
        namespace: ns,
        name: 'nobody',
        body: { spec: { audiences: [], expirationSeconds: 601 } },
      });
      await eventually(
        'RBAC to allow the token',
        async () => {
          last = await get(`${base}/pods`, { token: fresh.status!.token });
          return last.status === 200 ? true : undefined;
        },
        20_000,
      ).catch((err: unknown) => {
        throw new Error(`${String(err)}; last answer ${last?.status} ${last?.body.slice(0, 300)}`);
      });
    } finally {
      await kube.rbac.deleteClusterRoleBinding({ name: `${ns}-proxy` }).catch(() => undefined);
      await kube.rbac.deleteClusterRole({ name: `${ns}-proxy` }).catch(() => undefined);
    }
  });

  it('exposes Prometheus metrics: pods by phase and backend call latency', async () => {
    const res = await get(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(res.status).toBe(200);
    expect(res.body).toMatch(/eci_virtual_node_pods\{phase="Running"\} [1-9]/);
    expect(res.body).toMatch(
      /eci_virtual_backend_call_duration_seconds_count\{backend="docker",op="createPod"\} [1-9]/,
    );
  });
});
