/**
 * `yarn bench node-memory` — the virtual node's memory at scale (issue #20: ≥ 1000 pods within 256 MB RSS). One node
 * process on `--backend eci` against the ECI emulator with a simulated runtime (no containers, no engine), its RSS
 * measured idle, then N pods bound to it directly (`spec.nodeName`, no scheduler), all Running, held for a while
 * (metrics-server keeps scraping the node meanwhile), and the RSS sampled once a second from /proc/<pid>/status.
 * Prints one line:
 *   node memory: <M> MB RSS at <K> pods (idle <I> MB)
 * where M is the highest sample while all K pods are held. BENCH_POD_COUNT sets N (default 1000),
 * BENCH_HOLD_SECONDS the hold (default 60), BENCH_NODE_ENV extra node environment (`K=V,K=V`).
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { V1Pod } from '@kubernetes/client-node';
import pLimit from 'p-limit';
import { describeError, virtualNodeToleration } from '@eci-virtual/contract';
import { loadKubeConfig, makeClients, type KubeClients } from '../../src/kube/client.js';
import { startSimulatedEciNode, stopSimulatedEciNode } from '../../test/eci-emulator/simulated-node.js';
import { SimulatedRuntime } from '../../test/eci-emulator/simulated-runtime.js';
import type { ClusterInfo } from '../lib/cluster.js';

/** Every image of the simulation: nothing is pulled or run. */
const SIM_IMAGE = 'registry.invalid/bench/simulated:1';
const SECRET = 'runner-config';

export interface NodeMemoryResult {
  pods: number;
  idleMb: number;
  peakMb: number;
  /** Mean of the samples while the pods were held. */
  meanMb: number;
  /** DescribeContainerGroupMetric calls while the pods were held. */
  metricCalls: number;
  holdSeconds: number;
}

/** Resident set size of a process in MB (NaN when it is gone). */
export function rssMb(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

export function formatNodeMemoryLine(r: NodeMemoryResult): string {
  return `node memory: ${Math.round(r.peakMb)} MB RSS at ${r.pods} pods (idle ${Math.round(r.idleMb)} MB)`;
}

/** A runner-like pod: labels, annotations, a dozen env values, one from a Secret (the JIT config's way). */
function benchPod(i: number, nodeName: string): V1Pod {
  return {
    metadata: {
      name: `mem-${String(i).padStart(4, '0')}`,
      labels: { bench: 'node-memory', 'eci-virtual.dev/job-id': String(100_000 + i) },
      annotations: {
        'eci-virtual.dev/workflow': 'fleet-org/app/.github/workflows/ci.yml',
        'k8s.aliyun.com/eci-use-specs': '2-4Gi',
      },
    },
    spec: {
      nodeName,
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 0,
      automountServiceAccountToken: false,
      tolerations: [virtualNodeToleration()],
      containers: [
        {
          name: 'runner',
          image: SIM_IMAGE,
          command: ['/home/runner/run.sh'],
          resources: { requests: { cpu: '1', memory: '2Gi' }, limits: { cpu: '2', memory: '4Gi' } },
          env: [
            ...Array.from({ length: 10 }, (_, k) => ({ name: `RUNNER_VAR_${k}`, value: `value-${k}-${i}` })),
            { name: 'ACTIONS_RUNNER_INPUT_JITCONFIG', valueFrom: { secretKeyRef: { name: SECRET, key: 'jit' } } },
          ],
        },
      ],
    },
  };
}

async function countRunning(kube: KubeClients, ns: string): Promise<number> {
  const list = await kube.core.listNamespacedPod({ namespace: ns, labelSelector: 'bench=node-memory' });
  return list.items.filter((p) => p.status?.phase === 'Running').length;
}

export async function measureNodeMemory(o: {
  kube: KubeClients;
  kubeconfig: string;
  pods: number;
  holdSeconds: number;
  nodeEnv?: Record<string, string>;
  log?: (line: string) => void;
}): Promise<NodeMemoryResult> {
  const log = o.log ?? (() => undefined);
  const n = o.pods;
  const sim = await startSimulatedEciNode({
    kube: o.kube,
    kubeconfig: o.kubeconfig,
    prefix: 'nodemem',
    pods: n,
    runtime: new SimulatedRuntime(),
    image: SIM_IMAGE,
    ...(o.nodeEnv ? { nodeEnv: o.nodeEnv } : {}),
  });
  const { emu, t } = sim;
  try {
    const pid = t.node.pid;
    // Idle: the node registered and settled, no pods yet.
    await sleep(10_000);
    const idleMb = rssMb(pid);
    log(`node ${t.nodeName} idle ${Math.round(idleMb)} MB; creating ${n} pods`);
    await o.kube.core.createNamespacedSecret({
      namespace: t.ns,
      body: { metadata: { name: SECRET }, stringData: { jit: 'x'.repeat(2048) } },
    });
    const limit = pLimit(20);
    await Promise.all(
      Array.from({ length: n }, (_, i) =>
        limit(() => o.kube.core.createNamespacedPod({ namespace: t.ns, body: benchPod(i, t.nodeName) })),
      ),
    );
    const t0 = performance.now();
    for (let running = 0; running < n;) {
      if (!t.node.running) throw new Error(`node process exited; see ${t.node.logFile}`);
      if (performance.now() - t0 > 600_000) throw new Error(`only ${running}/${n} pods Running after 600 s`);
      await sleep(2_000);
      running = await countRunning(o.kube, t.ns);
      log(
        `  ${Math.round((performance.now() - t0) / 1000)} s: ${running}/${n} Running; node ${Math.round(rssMb(pid))} MB`,
      );
    }
    const holdStart = Date.now();
    const samples: number[] = [];
    while (Date.now() - holdStart < o.holdSeconds * 1000) {
      await sleep(1_000);
      if (!t.node.running) throw new Error(`node process exited; see ${t.node.logFile}`);
      samples.push(rssMb(pid));
    }
    return {
      pods: await countRunning(o.kube, t.ns),
      idleMb,
      peakMb: Math.max(...samples),
      meanMb: samples.reduce((a, b) => a + b, 0) / samples.length,
      metricCalls: emu.calls.filter((c) => c.action === 'DescribeContainerGroupMetric' && c.at >= holdStart).length,
      holdSeconds: o.holdSeconds,
    };
  } finally {
    await stopSimulatedEciNode(sim, n);
  }
}

function envList(s: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of (s ?? '').split(',').filter(Boolean)) {
    const at = kv.indexOf('=');
    if (at > 0) out[kv.slice(0, at)] = kv.slice(at + 1);
  }
  return out;
}

export async function nodeMemoryBench(cluster: ClusterInfo): Promise<void> {
  const kube = makeClients(loadKubeConfig(cluster.kubeconfig));
  try {
    const r = await measureNodeMemory({
      kube,
      kubeconfig: cluster.kubeconfig,
      pods: Number(process.env.BENCH_POD_COUNT ?? 1000),
      holdSeconds: Number(process.env.BENCH_HOLD_SECONDS ?? 60),
      nodeEnv: envList(process.env.BENCH_NODE_ENV),
      log: (l) => console.log(l),
    });
    console.log(formatNodeMemoryLine(r));
    console.log(
      `  mean ${Math.round(r.meanMb)} MB over ${r.holdSeconds} s held; ${r.metricCalls} DescribeContainerGroupMetric ` +
        `calls meanwhile; target ≤ 256 MB at ≥ 1000 pods: ${r.peakMb <= 256 && r.pods >= 1000 ? 'met' : 'not met'}`,
    );
  } catch (err) {
    throw new Error(`node-memory bench: ${describeError(err)}`, { cause: err });
  }
}
