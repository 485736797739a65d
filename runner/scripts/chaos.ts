/**
 * `yarn chaos [--seed N] [--jobs N (160)] [--concurrency N] [--minutes N] [--backend docker|eci]` — the chaos run
 * (issue #19): a seeded workload through the real controller (two replicas), virtual node, cluster and engine while a
 * seeded injector keeps killing and cutting things (runner/test/chaos/). `--backend eci` runs the node against the
 * ECI emulator (its container groups real pods on the engine) and adds throttling storms and 5xx windows on every
 * ECI action. Prints its seed first (so a run can be replayed with
 * `--seed`) and, last, one line:
 *
 *   chaos: <J> jobs, <S> steps, <I> faults, <F> wrong results, <L> lost or repeated lines, <O> orphans,
 *          <K> leaked secrets, worst recovery <R> s
 *
 * Exits 1 unless F, L, O and K are all zero. Sends traffic only to this machine. Stops the API server and the
 * engine's API service on purpose: run it alone on the machine's test cluster.
 */
import { describeError } from '@eci-virtual/contract';
import { faultKindsFor } from '../test/chaos/faults.js';
import { chaosLine, runChaos, slowestRecoveries } from '../test/chaos/run.js';
import { buildBundle } from './lib/bundle.js';
import { ensureCluster } from './lib/cluster.js';
import { ensureEngine } from './lib/engine.js';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v)) throw new Error(`--${name} needs a number, got ${process.argv[i + 1] ?? 'nothing'}`);
  return v;
}

function backendFlag(): 'docker' | 'eci' {
  const i = process.argv.indexOf('--backend');
  if (i < 0) return 'docker';
  const v = process.argv[i + 1];
  if (v !== 'docker' && v !== 'eci') throw new Error(`--backend is docker or eci, got ${v ?? 'nothing'}`);
  return v;
}

async function main(): Promise<number> {
  const backend = backendFlag();
  const seed = flag('seed', Math.floor(Math.random() * 2 ** 31));
  const jobs = flag('jobs', 160);
  console.log(`chaos seed ${seed} (replay with --seed ${seed})${backend === 'eci' ? ' on --backend eci' : ''}`);
  await buildBundle();
  const engine = await ensureEngine();
  const cluster = await ensureCluster(() => undefined);
  const report = await runChaos({
    seed,
    jobs,
    minSteps: flag('min-steps', 20),
    maxSteps: flag('max-steps', 34),
    concurrency: flag('concurrency', 6),
    backend,
    kinds: faultKindsFor(backend),
    gapMs: [flag('gap-min', 3) * 1000, flag('gap-max', 10) * 1000],
    downMs: [5_000, 20_000],
    dropMs: [10_000, 30_000],
    deadlineMs: flag('minutes', 40) * 60_000,
    kubeconfig: cluster.kubeconfig,
    dockerHost: engine.dockerHost,
    images: engine.images,
    log: (msg) => console.log(`[chaos ${new Date().toISOString().slice(11, 19)}] ${msg}`),
  });
  const d = report.details;
  console.log(
    `faults by kind: ${[...new Set(d.faults.map((f) => f.kind))].map((k) => `${k} ${d.faults.filter((f) => f.kind === k).length}`).join(', ')}`,
  );
  for (const w of d.wrong.slice(0, 20)) console.log(`wrong: ${w.slice(0, 400)}`);
  for (const o of d.orphans.slice(0, 20)) console.log(`orphan: ${o}`);
  for (const k of d.leaks.slice(0, 20)) console.log(`leak: ${k}`);
  for (const r of slowestRecoveries(report)) console.log(`slowest recovery: ${r}`);
  console.log(`run took ${d.seconds.toFixed(0)} s`);
  console.log(chaosLine(report));
  return report.wrong + report.lines + report.orphans + report.leaked === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`chaos failed: ${describeError(err)}`);
    process.exit(1);
  },
);
