/**
 * The upstream virtual-kubelet end-to-end suite (github.com/virtual-kubelet/virtual-kubelet/test/e2e, the version in
 * runner/scripts/lib/vk-e2e-suite.ts) run unchanged against our node on the docker backend. Any failing upstream test
 * fails this one; a test may only be skipped through SKIPS below, with its reason.
 *
 * What the suite assumes of its environment, and how the set-up here provides it (test/e2e and
 * internal/test/e2e/framework at that version):
 *  - Its pods run images named `foo`, `bar`, `baz` with no command. The node talks to an image-alias engine front
 *    (harness/image-alias-engine.ts) that serves those pulls from the `idle` test image; node and pods are unchanged.
 *  - It reads /stats/summary and /metrics/resource through a *pod* proxy, `pods/https:<node name>:10250/proxy/...` in
 *    its namespace: upstream deploys the virtual kubelet as a pod named like its node (hack/skaffold/virtual-kubelet/
 *    pod.yml), serving on 10250 without authentication. Our node runs as a process here, so a stand-in pod of that
 *    name is created that is never scheduled (a scheduler name nobody serves) and whose status carries the node's
 *    InternalIP as pod IP (what `--address auto` advertises; in the chart that is the node pod's own IP); the node
 *    listens on 10250. The API server's pod proxy forwards no credentials, so the node runs with --anonymous-auth and
 *    RBAC lets `system:anonymous` get nodes/stats and nodes/metrics of this one node only.
 *  - /pods and /runningpods/ it reads through the node proxy (`nodes/<node>/proxy/...`) with the API server's kubelet
 *    client certificate, which needs no set-up: the default --address must simply be one the API server proxies to.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { LABEL } from '@eci-virtual/contract';
import { mergePatch } from '../../src/kube/patch.js';
import { ensureVkE2eSuite, VK_E2E_VERSION } from '../../scripts/lib/vk-e2e-suite.js';
import { readTestEnv } from '../harness/env.js';
import { ensureIdleImage } from '../harness/idle-image.js';
import { startImageAliasEngine, type ImageAliasEngine } from '../harness/image-alias-engine.js';
import { startTestNode, stopTestNode, type TestNode } from '../harness/test-node.js';

/** The suite reaches the kubelet API of "the pod named like the node" on this fixed port (framework/stats.go). */
const SUITE_KUBELET_PORT = 10250;

/**
 * Upstream tests not run, each with the reason. Empty: every test of the suite runs and must pass. A skip needs a
 * reason a reviewer accepts (behaviour that cannot exist on a virtual node), never "it fails".
 */
const SKIPS: Record<string, string> = {};

/** The tests of test/e2e/basic.go at VK_E2E_VERSION; a new upstream version that adds tests makes this list grow. */
const UPSTREAM_TESTS = [
  'TestCreatePodWithMandatoryInexistentConfigMap',
  'TestCreatePodWithMandatoryInexistentSecrets',
  'TestCreatePodWithOptionalInexistentConfigMap',
  'TestCreatePodWithOptionalInexistentSecrets',
  'TestGetMetricsResource',
  'TestGetPods',
  'TestGetStatsSummary',
  'TestPodLifecycleForceDelete',
  'TestPodLifecycleGracefulDelete',
];

const log = (msg: string) => process.stderr.write(`[vk-e2e] ${msg}\n`);

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '0.0.0.0', () => s.close(() => resolve(true)));
  });
}

interface SuiteRun {
  code: number | null;
  output: string;
  results: Map<string, 'PASS' | 'FAIL' | 'SKIP'>;
}

function runSuite(binary: string, args: string[], timeoutMs: number): Promise<SuiteRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const timer = setTimeout(() => child.kill('SIGQUIT'), timeoutMs); // SIGQUIT: Go prints every goroutine's stack
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const results = new Map<string, 'PASS' | 'FAIL' | 'SKIP'>();
      for (const m of output.matchAll(/--- (PASS|FAIL|SKIP): TestEndToEnd\/(\w+) /g))
        results.set(m[2]!, m[1] as 'PASS' | 'FAIL' | 'SKIP');
      resolve({ code, output, results });
    });
  });
}

describe(`upstream virtual-kubelet e2e suite ${VK_E2E_VERSION}`, () => {
  let t: TestNode | undefined;
  let engine: ImageAliasEngine | undefined;
  let suite: string;
  const rbacName = `vk-e2e-anonymous-${process.pid}`;

  beforeAll(async () => {
    const env = readTestEnv();
    if (!(await portFree(SUITE_KUBELET_PORT)))
      throw new Error(`port ${SUITE_KUBELET_PORT} is taken; the upstream suite reaches the kubelet API only there`);
    suite = await ensureVkE2eSuite(log);
    const idle = await ensureIdleImage(log);
    engine = await startImageAliasEngine({
      upstream: env.engine.dockerHost,
      aliases: { foo: idle, bar: idle, baz: idle },
    });
    t = await startTestNode('vke2e', ['--anonymous-auth'], SUITE_KUBELET_PORT, undefined, {
      dockerHost: engine.dockerHost,
    });
    const { kube, ns, nodeName } = t;
    await kube.rbac.createClusterRole({
      body: {
        metadata: { name: rbacName, labels: { [LABEL.test]: 'true' } },
        rules: [
          { apiGroups: [''], resources: ['nodes/stats', 'nodes/metrics'], verbs: ['get'], resourceNames: [nodeName] },
        ],
      },
    });
    await kube.rbac.createClusterRoleBinding({
      body: {
        metadata: { name: rbacName, labels: { [LABEL.test]: 'true' } },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: rbacName },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'system:anonymous' }],
      },
    });
    const node = await kube.core.readNode({ name: nodeName });
    const address = node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
    if (!address) throw new Error(`node ${nodeName} has no InternalIP`);
    await kube.core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: nodeName, labels: { [LABEL.test]: 'true' } },
        spec: { schedulerName: 'vk-e2e-never-scheduled', containers: [{ name: 'kubelet-api', image: idle }] },
      },
    });
    await kube.core.patchNamespacedPodStatus(
      { name: nodeName, namespace: ns, body: { status: { podIP: address, podIPs: [{ ip: address }] } } },
      mergePatch,
    );
  }, 30 * 60_000);

  afterAll(async () => {
    const kube = t?.kube;
    await kube?.rbac.deleteClusterRoleBinding({ name: rbacName }).catch(() => undefined);
    await kube?.rbac.deleteClusterRole({ name: rbacName }).catch(() => undefined);
    await stopTestNode(t);
    await engine?.close();
  }, 90_000);

  it('passes every upstream test (or skips it with a reason in SKIPS)', async () => {
    const { ns, nodeName } = t!;
    const env = readTestEnv();
    const args = [
      '-test.v',
      '-test.timeout=170s',
      `-kubeconfig=${env.kubeconfig}`,
      `-namespace=${ns}`,
      `-node-name=${nodeName}`,
      // Every wait of the suite (pod ready, event seen, deletion seen) takes seconds here; one that does not has failed.
      '-watch-timeout=45s',
      ...Object.entries(SKIPS).map(([name, reason]) => `-skip-test=${name}=${reason}`),
    ];
    const started = Date.now();
    const run = await runSuite(suite, args, 175_000);
    log(`suite finished in ${((Date.now() - started) / 1000).toFixed(1)} s, exit ${run.code}`);
    const failed = [...run.results].filter(([, r]) => r === 'FAIL').map(([n]) => n);
    if (failed.length || run.code !== 0)
      throw new Error(`upstream tests failed: ${failed.join(', ') || '(see output)'}\n${run.output.slice(-12_000)}`);
    expect([...new Set(engine!.served)].sort()).toEqual(['bar', 'baz', 'foo']);
    for (const name of UPSTREAM_TESTS)
      expect([name, run.results.get(name)]).toEqual([name, SKIPS[name] ? 'SKIP' : 'PASS']);
  }, 200_000);
});
