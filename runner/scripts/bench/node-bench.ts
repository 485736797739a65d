/**
 * Virtual node benchmark on the real control plane + engine: pod throughput for N pods, the node's RSS while they
 * run, and status lag (engine `die` event → terminal status seen by a watch), p50/p99.
 */
import type { V1Pod } from '@kubernetes/client-node';
import http from 'node:http';
import { readFileSync } from 'node:fs';
import pLimit from 'p-limit';
import { ENGINE_LABEL, virtualNodeToleration } from '@eci-virtual/contract';
import { loadKubeConfig, makeClients, type KubeClients } from '../../src/kube/client.js';
import type { ClusterInfo } from '../lib/cluster.js';
import type { EngineEnv } from '../lib/engine.js';
import { stopNodeWithNamespace } from '../lib/node-with-namespace.js';
import { startBenchNode } from './bench-node.js';
import { percentile, ms, report } from './stats.js';

const pod = (name: string, node: string, image: string, command: string[]): V1Pod => ({
  metadata: { name, labels: { bench: 'node' } },
  spec: {
    restartPolicy: 'Never',
    terminationGracePeriodSeconds: 0,
    nodeSelector: { 'kubernetes.io/hostname': node },
    tolerations: [virtualNodeToleration()],
    automountServiceAccountToken: false,
    containers: [{ name: 'main', image, imagePullPolicy: 'IfNotPresent', command }],
  },
});

function rssMb(pid: number | undefined): number {
  if (!pid) return NaN;
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Engine `die` events with nanosecond timestamps, keyed by pod name label. */
function engineDies(engine: EngineEnv, nodeName: string, onDie: (pod: string, atMs: number) => void): () => void {
  const req = http.get({
    socketPath: engine.dockerHost.replace('unix://', ''),
    // Podman 4.3 does not combine an `event` filter with several label filters: filter by node, the rest in code.
    path: `/v1.41/events?filters=${encodeURIComponent(JSON.stringify({ type: ['container'], label: [`${ENGINE_LABEL.node}=${nodeName}`] }))}`,
  });
  req.on('response', (res) => {
    let buf = '';
    res.on('data', (c: Buffer) => {
      buf += c.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const e = JSON.parse(buf.slice(0, nl)) as {
          Action?: string;
          timeNano?: number;
          Actor?: { Attributes?: Record<string, string> };
        };
        buf = buf.slice(nl + 1);
        const attrs = e.Actor?.Attributes ?? {};
        const name = attrs[ENGINE_LABEL.name];
        if (e.Action === 'die' && attrs[ENGINE_LABEL.role] === 'app' && name && e.timeNano)
          onDie(name, e.timeNano / 1e6);
      }
    });
  });
  req.on('error', () => undefined);
  return () => req.destroy();
}

async function waitAll(
  kube: KubeClients,
  ns: string,
  names: Set<string>,
  phases: string[],
  onSeen?: (name: string, at: number) => void,
): Promise<void> {
  const pending = new Set(names);
  await new Promise<void>((resolve, reject) => {
    let abort: (() => void) | undefined;
    kube.watch
      .watch(
        `/api/v1/namespaces/${ns}/pods`,
        { labelSelector: 'bench=node' },
        (_t, p: V1Pod) => {
          const name = p.metadata?.name ?? '';
          if (pending.has(name) && phases.includes(p.status?.phase ?? '')) {
            pending.delete(name);
            onSeen?.(name, Date.now());
            if (!pending.size) {
              resolve(); // before aborting: the abort reports an error to the done callback
              abort?.();
            }
          }
        },
        (err) => err && reject(err),
      )
      .then((r) => (abort = () => r.abort()), reject);
  });
}

export async function nodeBench(cluster: ClusterInfo, engine: EngineEnv, opts: { pods: number }): Promise<void> {
  const kube = makeClients(loadKubeConfig(cluster.kubeconfig));
  const t = await startBenchNode(cluster, engine, 'bench', ['--pods', '1000']);
  const { ns, node, nodeName } = t;
  try {
    const rssIdle = rssMb(node.pid);
    // 1. Throughput: N long-running pods, created 20 at a time, until all are Running.
    const names = new Set(Array.from({ length: opts.pods }, (_, i) => `p${i}`));
    const limit = pLimit(20);
    const t0 = Date.now();
    const running = waitAll(kube, ns, names, ['Running']);
    await Promise.all(
      [...names].map((n) =>
        limit(() =>
          kube.core.createNamespacedPod({
            namespace: ns,
            body: pod(n, nodeName, engine.images.busybox, ['sleep', '3600']),
          }),
        ),
      ),
    );
    await running;
    const elapsed = (Date.now() - t0) / 1000;
    report(
      `pods to Running (${opts.pods} pods)`,
      `${((opts.pods / elapsed) * 60).toFixed(0)} pods/min`,
      undefined,
      `${elapsed.toFixed(1)} s total`,
    );
    report(
      `node RSS with ${opts.pods} pods`,
      `${rssMb(node.pid).toFixed(0)} MB`,
      '≤ 200 MB at 1,000 pods',
      `idle ${rssIdle.toFixed(0)} MB`,
    );
    await kube.core.deleteCollectionNamespacedPod({
      namespace: ns,
      labelSelector: 'bench=node',
      gracePeriodSeconds: 0,
    });
    // 2. Status lag: short pods; engine die event time → terminal status seen through a watch.
    const lagNames = new Set(Array.from({ length: 40 }, (_, i) => `lag${i}`));
    const dies = new Map<string, number>();
    const seen = new Map<string, number>();
    const stop = engineDies(engine, nodeName, (p, at) => dies.set(p, at));
    const done = waitAll(kube, ns, lagNames, ['Succeeded', 'Failed'], (n, at) => seen.set(n, at));
    await Promise.all(
      [...lagNames].map((n) =>
        limit(() =>
          kube.core.createNamespacedPod({
            namespace: ns,
            body: {
              ...pod(n, nodeName, engine.images.busybox, ['sh', '-c', `sleep ${process.env.BENCH_LAG_SLEEP ?? 2}`]),
              metadata: { name: n, labels: { bench: 'node' } },
            },
          }),
        ),
      ),
    );
    await done;
    stop();
    const lags = [...lagNames].filter((n) => dies.has(n) && seen.has(n)).map((n) => seen.get(n)! - dies.get(n)!);
    report('status lag p50 (engine exit → API status)', ms(percentile(lags, 50)), '≤ 1 s p99');
    report('status lag p99', ms(percentile(lags, 99)), undefined, `${lags.length} pods`);
  } finally {
    // The node must outlive its pods' deletion, or their containers are orphaned in the engine.
    await stopNodeWithNamespace(t, 600_000);
  }
}
