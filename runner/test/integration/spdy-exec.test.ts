/**
 * exec/attach over SPDY/3.1: a node that does not declare ExtendWebSocketsToKubelet makes the (1.37) API server
 * translate the client's WebSocket into SPDY towards us — the path every 1.30–1.35 API server takes.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { KubeClients } from '../../src/kube/client.js';
import { NodeProcess } from '../../scripts/lib/node-process.js';
import { startTestNode, stopTestNode, type TestNode } from '../harness/test-node.js';
import { readTestEnv } from '../harness/env.js';
import { eventually } from '../harness/kube.js';
import { kubectl } from '../harness/kubectl.js';
import { virtualPod } from '../harness/pods.js';

jest.setTimeout(120_000);

describe('exec and attach over SPDY/3.1', () => {
  let kube: KubeClients;
  let ns: string;
  let node: NodeProcess;
  let nodeName: string;
  let t: TestNode | undefined;
  const transports = () =>
    readFileSync(node.logFile, 'utf8')
      .split('\n')
      .filter((l) => l.includes('"stream finished"'))
      .map((l) => (JSON.parse(l) as { protocol: string }).protocol);

  beforeAll(async () => {
    const env = readTestEnv();
    t = await startTestNode('spdy', ['--no-websocket-declaration']);
    ({ kube, ns, node, nodeName } = t);
    const status = (await kube.core.readNode({ name: nodeName })).status as { declaredFeatures?: string[] } | undefined;
    expect(status?.declaredFeatures ?? []).toEqual([]);
    await kube.core.createNamespacedPod({
      namespace: ns,
      body: virtualPod('target', nodeName, [
        { name: 'main', image: env.engine.images.busybox, command: ['sleep', '300'] },
      ]),
    });
    await eventually(
      'pod running',
      async () =>
        (await kube.core.readNamespacedPod({ namespace: ns, name: 'target' })).status?.phase === 'Running'
          ? true
          : undefined,
      60_000,
    );
  });

  afterAll(() => stopTestNode(t));

  it('carries stdin (with EOF), stdout, stderr and the exit code', async () => {
    const res = await kubectl(['-n', ns, 'exec', '-i', 'target', '--', 'sh', '-c', 'cat; echo to-stderr >&2; exit 3'], {
      input: 'hi\n',
    });
    expect(res.stdout).toBe('hi\n');
    expect(res.stderr).toContain('to-stderr');
    expect(res.code).toBe(3);
    expect(transports().pop()).toMatch(/^SPDY\/3\.1 v\d\.channel\.k8s\.io$/);
  });

  it('gives -it a tty and applies the terminal size', async () => {
    const env = readTestEnv();
    const output = await new Promise<string>((resolve) => {
      const cmd = `stty cols 100 rows 30; ${env.kubectl} --kubeconfig ${env.kubeconfig} -n ${ns} exec -it target -- sh -c 'tty; sleep 0.5; stty size; exit 4'`;
      const child = spawn('script', ['-qec', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.on('close', () => resolve(out));
      child.stdin.end();
    });
    expect(output).toMatch(/\/dev\/pts\/\d+/);
    expect(output).toContain('30 100');
    expect(output).toContain('command terminated with exit code 4');
  });

  it('attaches to the main process', async () => {
    const env = readTestEnv();
    await kube.core.createNamespacedPod({
      namespace: ns,
      body: virtualPod('attached', nodeName, [
        {
          name: 'main',
          image: env.engine.images.busybox,
          command: ['sh', '-c', 'sleep 2; for i in 1 2 3; do echo tick $i; sleep 1; done; exit 6'],
        },
      ]),
    });
    await eventually(
      'pod running',
      async () =>
        (await kube.core.readNamespacedPod({ namespace: ns, name: 'attached' })).status?.phase === 'Running'
          ? true
          : undefined,
      60_000,
    );
    const res = await kubectl(['-n', ns, 'attach', 'attached'], { timeoutMs: 30_000 });
    expect(res.stdout).toContain('tick 3');
    expect(res.code).toBe(6);
    expect(transports().pop()).toMatch(/^SPDY\/3\.1/);
  });
});
