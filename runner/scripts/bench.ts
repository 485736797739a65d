/**
 * `yarn bench` — performance figures against the real components (not a test: numbers are printed, with targets and
 * baselines measured in the same run). `yarn bench node|node-memory|exec|steps|job|controller|controller-eci|kaniko|cache|swap|fleet|portal`
 * runs one part; default all. `cache` needs no cluster or engine (the ECI emulator in simulated time), nor does
 * `portal` (the job history databases: SQLite in a file, PostgreSQL on a server it starts); `fleet` and
 * `node-memory` need no engine.
 */
import { describeError } from '@eci-virtual/contract';
import { cacheBench } from './bench/cache-bench.js';
import { controllerBench } from './bench/controller-bench.js';
import { execBench } from './bench/exec-bench.js';
import { fleetBench } from './bench/fleet-bench.js';
import { jobBench } from './bench/job-bench.js';
import { kanikoBench } from './bench/kaniko-bench.js';
import { nodeBench } from './bench/node-bench.js';
import { nodeMemoryBench } from './bench/node-memory-bench.js';
import { portalBench } from './bench/portal.js';
import { stepsBench } from './bench/steps-bench.js';
import { swapBench } from './bench/swap-bench.js';
import { buildBundle } from './lib/bundle.js';
import { ensureCluster } from './lib/cluster.js';
import { ensureEngine } from './lib/engine.js';

async function main(): Promise<void> {
  const parts = process.argv.slice(2);
  const want = (p: string) => parts.length === 0 || parts.includes(p);
  if (want('cache')) await cacheBench();
  if (want('portal')) await portalBench();
  if (parts.length && parts.every((p) => p === 'cache' || p === 'portal')) return;
  await buildBundle();
  // The fleet simulation and the node memory bench need the cluster but no engine: their ECI runtime is simulated.
  const engineless = ['fleet', 'node-memory', 'cache', 'portal'];
  if (parts.length && parts.every((p) => engineless.includes(p))) {
    const cluster = await ensureCluster(() => undefined);
    if (want('node-memory')) await nodeMemoryBench(cluster);
    if (want('fleet')) await fleetBench(cluster);
    return;
  }
  const engine = await ensureEngine();
  const cluster = await ensureCluster(() => undefined);
  console.log(`eci-virtual benchmarks — Kubernetes ${cluster.version}, engine ${engine.dockerHost}\n`);
  if (want('node')) await nodeBench(cluster, engine, { pods: Number(process.env.BENCH_PODS ?? 200) });
  if (want('exec')) await execBench(cluster, engine);
  if (want('steps')) await stepsBench(cluster, engine);
  if (want('job')) await jobBench(cluster, engine);
  if (want('controller')) await controllerBench(cluster, engine, Number(process.env.BENCH_JOBS ?? 100));
  if (want('controller-eci')) await controllerBench(cluster, engine, Number(process.env.BENCH_JOBS ?? 100), 'eci');
  if (want('kaniko')) await kanikoBench(cluster, engine);
  if (want('swap')) await swapBench(cluster, engine);
  if (want('fleet')) await fleetBench(cluster);
  if (want('node-memory')) await nodeMemoryBench(cluster);
}

main().catch((err: unknown) => {
  console.error(`bench failed: ${describeError(err)}`);
  process.exit(1);
});
