/**
 * Job engine benchmark through the real path (JobRunner → API server → virtual node → engine): queued → first step
 * running p50 (images present), per-step overhead p50 against `podman exec` of the same command in the same run,
 * and the wall time of 20 concurrent jobs.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expressionEngine } from '../../src/local-run/from-workflow.js';
import { JobRunner } from '../../src/local-run/job-runner.js';
import type { JobSpec } from '../../src/local-run/job-spec.js';
import { loadKubeConfig, makeClients } from '../../src/kube/client.js';
import { KubeExec } from '../../src/kube/exec.js';
import { createLogger } from '../../src/observability/logger.js';
import type { ClusterInfo } from '../lib/cluster.js';
import type { EngineEnv } from '../lib/engine.js';
import { stopNodeWithNamespace } from '../lib/node-with-namespace.js';
import { startBenchNode } from './bench-node.js';
import { quietReporter } from './quiet-reporter.js';
import { ms, percentile, report } from './stats.js';

const run = promisify(execFile);

const job = (steps: number, id = 'bench'): JobSpec => ({
  id,
  name: id,
  workflow: 'bench',
  services: [],
  env: {},
  defaults: {},
  steps: Array.from({ length: steps }, (_, i) => ({ name: `step ${i}`, run: 'true', shell: 'sh' })),
});

export async function jobBench(cluster: ClusterInfo, engine: EngineEnv): Promise<void> {
  const kube = makeClients(loadKubeConfig(cluster.kubeconfig));
  const t = await startBenchNode(cluster, engine, 'bench', []);
  const { ns, nodeName } = t;
  const transport = new KubeExec(kube);
  const log = createLogger({}, { level: 'error' });
  const runner = (spec: JobSpec, keepPod = false) =>
    new JobRunner({
      kube,
      transport,
      namespace: ns,
      job: spec,
      expressions: expressionEngine,
      reporter: quietReporter,
      log,
      defaultImage: engine.images.busybox,
      repository: 'bench/bench',
      placement: 'virtual',
      nodeName,
      keepPod,
    });
  try {
    // 1. Queued → first step running, one job at a time.
    const first: number[] = [];
    for (let i = 0; i < 8; i++) {
      const r = await runner(job(1)).run();
      if (r.conclusion !== 'success') throw new Error(`bench job failed: ${r.error ?? r.conclusion}`);
      first.push(r.timings.firstStepMs!);
    }
    report('queued → first step running p50', ms(percentile(first, 50)), '≤ 2 s', `p90 ${ms(percentile(first, 90))}`);
    // 2. Per-step overhead: 20 × `true` through the engine vs podman exec of the same command in the same container.
    const r = await runner(job(20), true).run();
    const steps = r.steps.map((s) => s.durationMs);
    const container = `evk-${r.pod}-`;
    const list = await run('podman', ['--url', engine.dockerHost, 'ps', '--format', '{{.Names}}']);
    const jobContainer = list.stdout.split('\n').find((n) => n.startsWith(container) && n.endsWith('-job'))!;
    const direct: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t = performance.now();
      await run('podman', ['--url', engine.dockerHost, 'exec', jobContainer, 'sh', '-c', 'true']);
      direct.push(performance.now() - t);
    }
    await kube.core.deleteNamespacedPod({ namespace: ns, name: r.pod, gracePeriodSeconds: 0 });
    const stepP50 = percentile(steps, 50);
    report(
      'step duration p50 (`true`, one exec, durable log)',
      ms(stepP50),
      undefined,
      `podman exec p50 ${ms(percentile(direct, 50))} → overhead ${ms(stepP50 - percentile(direct, 50))} (${(stepP50 / percentile(direct, 50)).toFixed(2)}×)`,
    );
    // 3. 20 concurrent jobs of 3 steps.
    const t0 = performance.now();
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => runner(job(3, `c${i}`)).run()));
    const failed = results.filter((x) => x.conclusion !== 'success').length;
    report(
      '20 concurrent jobs (3 steps each), wall time',
      `${((performance.now() - t0) / 1000).toFixed(1)} s`,
      undefined,
      `${failed} failed`,
    );
  } finally {
    // The node must outlive its pods' deletion, or their containers are orphaned in the engine.
    await stopNodeWithNamespace(t, 120_000);
  }
}
