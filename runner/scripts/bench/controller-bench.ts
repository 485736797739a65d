/**
 * Controller benchmark through the real path (GitHub emulator webhook → controller → API server → virtual node →
 * engine): webhook → job pod created p50/p99 (one job at a time), and a burst of 100 queued jobs → every job pod
 * running. Jobs are container-less (the runner stand-in only), so the figures are about the controller and the node.
 */
import { Watch, type V1Pod } from '@kubernetes/client-node';
import { LABEL } from '@eci-virtual/contract';
import { loadKubeConfig, makeClients } from '../../src/kube/client.js';
import { ControllerStack } from '../../test/harness/controller-stack.js';
import type { ClusterInfo } from '../lib/cluster.js';
import type { EngineEnv } from '../lib/engine.js';
import { stopNodeWithNamespace } from '../lib/node-with-namespace.js';
import { startEmulatorOnEngine } from '../../test/eci-emulator/on-engine.js';
import type { CallRecord } from '../../test/eci-emulator/server.js';
import { startBenchNode } from './bench-node.js';
import { ms, percentile, report } from './stats.js';

const REPO = 'bench-org/app';
const WORKFLOW = 'name: CI\non: push\njobs:\n  noop:\n    runs-on: eci-virtual\n    steps: [{ run: "true" }]\n';

/**
 * `backend: 'eci'` runs the same path with the node on `--backend eci` against the ECI emulator (published rate limits
 * and realistic scheduling/pull delays; groups run on the engine): the burst must stay within the create quota — no
 * throttled answer — and every job must run. The one-job latency loop is docker-only (on eci it would measure the
 * emulator's delays).
 */
export async function controllerBench(
  cluster: ClusterInfo,
  engine: EngineEnv,
  burst = 100,
  backend: 'docker' | 'eci' = 'docker',
): Promise<void> {
  const kube = makeClients(loadKubeConfig(cluster.kubeconfig));
  const eci =
    backend === 'eci'
      ? await startEmulatorOnEngine({
          dockerHost: engine.dockerHost,
          infraImage: engine.images.busybox,
          cluster: 'bench',
        })
      : undefined;
  const t = await startBenchNode(
    cluster,
    engine,
    backend === 'eci' ? 'ebench' : 'cbench',
    [...(eci?.nodeArgs ?? []), '--pods', String(burst + 50), '--cpu', '1000', '--memory', '4Ti'],
    eci?.nodeEnv,
  );
  const stack = new ControllerStack({
    repo: REPO,
    namespace: t.ns,
    nodeName: t.nodeName,
    maxConcurrentJobs: burst,
    pollIntervalSeconds: 30,
    kubeconfig: cluster.kubeconfig,
  });
  const added = new Map<string, number>();
  const running = new Map<string, number>();
  const watch = await new Watch(kube.config).watch(
    `/api/v1/namespaces/${t.ns}/pods`,
    {},
    (_type: string, pod: V1Pod) => {
      const id = pod.metadata?.labels?.[LABEL.jobId];
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
    for (let i = 0; i < (eci ? 0 : 20); i++) {
      const t0 = performance.now();
      const job = await queue();
      while (!added.has(String(job.id))) await new Promise((r) => setTimeout(r, 2));
      latencies.push(added.get(String(job.id))! - t0);
      while (stack.emulator.state.jobs.get(job.id)!.status !== 'completed') await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 1000));
    }
    if (latencies.length) {
      report('webhook → job pod created p50', ms(percentile(latencies, 50)));
      report('webhook → job pod created p99', ms(percentile(latencies, 99)), '≤ 100 ms');
    }
    // Let the warm-up jobs finish so the burst starts from an idle node.
    while ([...stack.emulator.state.jobs.values()].some((j) => j.status !== 'completed'))
      await new Promise((r) => setTimeout(r, 200));
    const start = performance.now();
    const jobs = await Promise.all(Array.from({ length: burst }, () => queue()));
    const ids = jobs.map((j) => String(j.id));
    const deadline = start + 600_000;
    // A runner that took its job has run in its pod, even if the job (no steps) ended before the pod's Running
    // phase reached the API (the eci node learns states from a 2 s batch poll) and the pod was already cleaned up.
    const tookJob = (id: string) => stack.emulator.state.jobs.get(Number(id))?.status !== 'queued';
    while (ids.some((id) => !running.has(id)) && performance.now() < deadline) {
      for (const id of ids) if (!running.has(id) && tookJob(id)) running.set(id, performance.now());
      await new Promise((r) => setTimeout(r, 50));
    }
    const done = ids.filter((id) => running.has(id)).length;
    const allRunning = Math.max(...ids.map((id) => (running.get(id) ?? deadline) - start));
    const on = eci ? ' (eci)' : '';
    report(
      `${burst} queued jobs → all job pods running${on}`,
      `${(allRunning / 1000).toFixed(1)} s`,
      '≤ 30 s',
      `${done}/${burst} running`,
    );
    while (
      [...stack.emulator.state.jobs.values()].some((j) => j.status !== 'completed') &&
      performance.now() < deadline
    )
      await new Promise((r) => setTimeout(r, 200));
    report(`${burst} queued jobs → all completed${on}`, `${((performance.now() - start) / 1000).toFixed(1)} s`);
    if (eci) reportEciQuota(eci.emu.calls.filter((c) => c.at >= Date.now() - (performance.now() - start)));
  } finally {
    watch.abort();
    await stack.stop();
    await stopNodeWithNamespace(t, 300_000);
    await eci?.emu.stop();
  }
}

/** The burst as ECI saw it: creates answered, throttled answers (must be none), peak creates in any one second. */
function reportEciQuota(calls: CallRecord[]): void {
  const creates = calls.filter((c) => c.action === 'CreateContainerGroup');
  const throttled = calls.filter((c) => /^Throttling/.test(c.code ?? '')).length;
  const times = creates.map((c) => c.at).sort((a, b) => a - b);
  let peak = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i]! - times[j]! >= 1000) j++;
    peak = Math.max(peak, i - j + 1);
  }
  report(
    'eci CreateContainerGroup calls (burst)',
    String(creates.length),
    '',
    `peak ${peak}/s, quota burst 100 then 20/s`,
  );
  report('eci throttled answers', String(throttled), '0');
}
