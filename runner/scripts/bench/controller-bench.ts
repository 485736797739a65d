/**
 * Controller benchmark through the real path (GitHub emulator webhook → controller → API server → virtual node →
 * engine): webhook → job pod created p50/p99 (one job at a time), and a burst of 100 queued jobs → every job pod
 * running. Jobs are container-less (the runner stand-in only), so the figures are about the controller and the node.
 */
import { Watch, type V1Pod } from '@kubernetes/client-node';
import { loadKubeConfig, makeClients } from '../../src/kube/client.js';
import { ControllerStack } from '../../test/harness/controller-stack.js';
import type { ClusterInfo } from '../lib/cluster.js';
import type { EngineEnv } from '../lib/engine.js';
import { stopNodeWithNamespace } from '../lib/node-with-namespace.js';
import { startBenchNode } from './bench-node.js';
import { ms, percentile, report } from './stats.js';

const REPO = 'bench-org/app';
const WORKFLOW = 'name: CI\non: push\njobs:\n  noop:\n    runs-on: eci-virtual\n    steps: [{ run: "true" }]\n';

export async function controllerBench(cluster: ClusterInfo, engine: EngineEnv, burst = 100): Promise<void> {
  const kube = makeClients(loadKubeConfig(cluster.kubeconfig));
  const t = await startBenchNode(cluster, engine, 'cbench', [
    '--pods',
    String(burst + 50),
    '--cpu',
    '1000',
    '--memory',
    '4Ti',
  ]);
  const stack = new ControllerStack({
    repo: REPO,
    namespace: t.ns,
    nodeName: t.nodeName,
    maxConcurrentJobs: burst,
    pollIntervalSeconds: 30,
    kubeconfig: cluster.kubeconfig,
    runnerImage: engine.images.debian,
  });
  const added = new Map<string, number>();
  const running = new Map<string, number>();
  const watch = await new Watch(kube.config).watch(
    `/api/v1/namespaces/${t.ns}/pods`,
    {},
    (_type: string, pod: V1Pod) => {
      const id = pod.metadata?.labels?.['eci-virtual.dev/job-id'];
      if (!id) return;
      if (!added.has(id)) added.set(id, performance.now());
      // A job without steps can finish between two watch events: any phase past Pending counts as having run.
      const phase = pod.status?.phase;
      if ((phase === 'Running' || phase === 'Succeeded' || phase === 'Failed') && !running.has(id))
        running.set(id, performance.now());
    },
    () => undefined,
  );
  const queue = () =>
    stack.emulator.queueJob({
      repo: REPO,
      workflowPath: '.github/workflows/ci.yml',
      workflowText: WORKFLOW,
      name: 'noop',
      labels: ['eci-virtual'],
      message: { steps: [] },
    });
  try {
    await stack.start();
    const latencies: number[] = [];
    // One job at a time on an otherwise idle machine (2 cores here): the previous job's pod must not be starting
    // while the next webhook is measured.
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      const job = await queue();
      while (!added.has(String(job.id))) await new Promise((r) => setTimeout(r, 2));
      latencies.push(added.get(String(job.id))! - t0);
      while (stack.emulator.state.jobs.get(job.id)!.status !== 'completed') await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 1000));
    }
    report('webhook → job pod created p50', ms(percentile(latencies, 50)));
    report('webhook → job pod created p99', ms(percentile(latencies, 99)), '≤ 100 ms');
    // Let the warm-up jobs finish so the burst starts from an idle node.
    while ([...stack.emulator.state.jobs.values()].some((j) => j.status !== 'completed'))
      await new Promise((r) => setTimeout(r, 200));
    const start = performance.now();
    const jobs = await Promise.all(Array.from({ length: burst }, () => queue()));
    const ids = jobs.map((j) => String(j.id));
    const deadline = start + 600_000;
    while (ids.some((id) => !running.has(id)) && performance.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    const done = ids.filter((id) => running.has(id)).length;
    const allRunning = Math.max(...ids.map((id) => (running.get(id) ?? deadline) - start));
    report(
      `${burst} queued jobs → all job pods running`,
      `${(allRunning / 1000).toFixed(1)} s`,
      '≤ 30 s',
      `${done}/${burst} running`,
    );
    while (
      [...stack.emulator.state.jobs.values()].some((j) => j.status !== 'completed') &&
      performance.now() < deadline
    )
      await new Promise((r) => setTimeout(r, 200));
    report(`${burst} queued jobs → all completed`, `${((performance.now() - start) / 1000).toFixed(1)} s`);
  } finally {
    watch.abort();
    await stack.stop();
    await stopNodeWithNamespace(t, 300_000);
  }
}
