/**
 * `yarn bench swap`: a heterogeneous burst through the real controller and the GitHub emulator with adversarial
 * assignment — first newest-first, then seeded random — where runners keep taking jobs their pods were not built
 * for. Every job's steps print facts from inside their containers (harness/heterogeneous-burst.ts) and each job is
 * checked against its own shape. Prints, for the whole run:
 *
 *   heterogeneous burst: <N> jobs, <S> swaps, <F> wrong results
 *
 * where a wrong result is a failed (or never finished) job, a job whose steps ran in another job's images or with
 * another job's resources, or a job pod/Secret/ServiceAccount/Role/RoleBinding left over after the burst.
 * BENCH_SWAP_PER_SHAPE (default 6: 24 jobs in 4 shapes per order) and BENCH_SWAP_SEED (default 7) change the burst.
 */
import { loadKubeConfig, makeClients } from '../../src/kube/client.js';
import { ControllerStack } from '../../test/harness/controller-stack.js';
import { judge, leftovers, queueBurst, recordPods, shapes } from '../../test/harness/heterogeneous-burst.js';
import type { AssignmentOrder } from '../../test/github-emulator/state.js';
import type { ClusterInfo } from '../lib/cluster.js';
import type { EngineEnv } from '../lib/engine.js';
import { stopNodeWithNamespace } from '../lib/node-with-namespace.js';
import { startBenchNode } from './bench-node.js';

const REPO = 'bench-org/swap';

export async function swapBench(
  cluster: ClusterInfo,
  engine: EngineEnv,
  perShape = Number(process.env.BENCH_SWAP_PER_SHAPE ?? 6),
  seed = Number(process.env.BENCH_SWAP_SEED ?? 7),
): Promise<void> {
  const kube = makeClients(loadKubeConfig(cluster.kubeconfig));
  const burstSize = perShape * shapes(engine.images).length;
  const t = await startBenchNode(cluster, engine, 'sbench', [
    '--pods',
    String(burstSize + 50),
    '--cpu',
    '1000',
    '--memory',
    '4Ti',
  ]);
  const stack = new ControllerStack({
    repo: REPO,
    namespace: t.ns,
    nodeName: t.nodeName,
    maxConcurrentJobs: burstSize,
    kubeconfig: cluster.kubeconfig,
    assignmentOrder: 'newest-first',
    workloads: true,
  });
  const recorder = await recordPods(kube, t.ns);
  let jobs = 0;
  let wrong = 0;
  try {
    await stack.start();
    const orders: AssignmentOrder[] = ['newest-first', { random: seed }];
    for (const order of orders) {
      stack.emulator.setAssignmentOrder(order);
      const swapsBefore = stack.emulator.swaps.length;
      const started = performance.now();
      const burst = await queueBurst(stack.emulator, REPO, engine.images, perShape);
      const deadline = started + 900_000;
      const state = stack.emulator.state;
      while (burst.some(({ job }) => state.jobs.get(job.id)!.status !== 'completed') && performance.now() < deadline)
        await new Promise((r) => setTimeout(r, 500));
      const failures = burst
        .map(({ job, shape }) => ({ name: job.name, why: judge(state.jobs.get(job.id)!, shape, recorder.pods) }))
        .filter((v) => v.why);
      const label = typeof order === 'object' ? `random (seed ${order.random})` : order;
      const swaps = stack.emulator.swaps.length - swapsBefore;
      console.log(
        `  ${label}: ${burst.length} jobs, ${swaps} swaps, ${failures.length} wrong, ` +
          `${((performance.now() - started) / 1000).toFixed(1)} s`,
      );
      for (const f of failures.slice(0, 8)) console.log(`    ${f.name}: ${f.why!.split('\n')[0]!.slice(0, 240)}`);
      if (failures.length > 8) console.log(`    … and ${failures.length - 8} more`);
      jobs += burst.length;
      wrong += failures.length;
    }
    // Cleanup is asynchronous (the completed webhook, then the garbage collector): allow it a bounded time.
    const until = performance.now() + 120_000;
    let left = await leftovers(kube, t.ns);
    while (left.length && performance.now() < until) {
      await new Promise((r) => setTimeout(r, 2_000));
      left = await leftovers(kube, t.ns);
    }
    if (left.length)
      console.log(`  left over after the burst: ${left.slice(0, 10).join(', ')}${left.length > 10 ? ', …' : ''}`);
    wrong += left.length;
    console.log(`heterogeneous burst: ${jobs} jobs, ${stack.emulator.swaps.length} swaps, ${wrong} wrong results`);
  } finally {
    recorder.stop();
    await stack.stop();
    await stopNodeWithNamespace(t, 300_000);
  }
}
