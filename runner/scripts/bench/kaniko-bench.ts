/**
 * Image build benchmark through the real path: `eci-virtual run` of the kaniko workspace (checkout, placement,
 * build-image with real kaniko in the job pod, push to the local registry, a later job running the image). Reports
 * the build with an empty layer cache and the same build again with the cache side by side, plus each run's wall
 * time; the baseline is the executor's own time for the cold build (from the action's output).
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import type { ClusterInfo } from '../lib/cluster.js';
import type { EngineEnv } from '../lib/engine.js';
import { writeKanikoWorkspace } from '../lib/kaniko-workspace.js';
import { bundlePath } from '../lib/node-process.js';
import { stopNodeWithNamespace } from '../lib/node-with-namespace.js';
import { buildProjectImages } from '../lib/project-images.js';
import { startBenchNode } from './bench-node.js';
import { percentile, report } from './stats.js';

interface BuildRun {
  wallMs: number;
  buildSeconds: number;
  cacheHits: number;
}

function runWorkflow(dir: string, env: NodeJS.ProcessEnv, args: string[]): Promise<BuildRun> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bundlePath, 'run', '.github/workflows/build.yml', '--json', ...args], {
      cwd: dir,
      env,
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('close', (code) => {
      const events = out
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { event: string; name?: string; outputs?: Record<string, string> });
      const build = events.find((e) => e.event === 'step.finished' && /build-image/.test(e.name ?? ''));
      if (code !== 0 || !build?.outputs)
        return reject(new Error(`eci-virtual run exited ${code}: ${out.split('\n').slice(-5).join('\n')}`));
      resolve({
        wallMs: performance.now() - started,
        buildSeconds: Number(build.outputs['duration-seconds']),
        cacheHits: Number(build.outputs['cache-hits']),
      });
    });
  });
}

export async function kanikoBench(cluster: ClusterInfo, engine: EngineEnv, runs = 3): Promise<void> {
  const jobImage = (
    await buildProjectImages({ registry: engine.registry, baseImage: engine.images.busybox, log: () => undefined })
  ).app;
  const t = await startBenchNode(cluster, engine, 'kbench', []);
  const tag = `bench-${Date.now().toString(36)}`;
  const ws = writeKanikoWorkspace({
    registry: engine.registry,
    podRegistry: engine.podRegistry,
    baseImage: engine.images.busybox,
    repo: 'bench/kaniko-app',
    tag,
    cacheRepo: `${engine.podRegistry}/bench/kaniko-app/cache-${tag}`,
  });
  const env = {
    ...process.env,
    KUBECONFIG: cluster.kubeconfig,
    ECI_VIRTUAL_DEFAULT_IMAGE: jobImage,
    ECI_VIRTUAL_KANIKO_IMAGE: engine.images.kaniko,
  };
  try {
    const args = ['--namespace', t.ns, '--node', t.nodeName];
    const cold = await runWorkflow(ws.dir, env, args);
    const cached: BuildRun[] = [];
    for (let i = 0; i < runs; i++) cached.push(await runWorkflow(ws.dir, env, args));
    const p50 = (xs: number[]) => percentile(xs, 50);
    report(
      'kaniko build (2 stages), cold → cached p50',
      `${cold.buildSeconds.toFixed(1)} s → ${p50(cached.map((c) => c.buildSeconds)).toFixed(1)} s`,
      '—',
      `cache hits ${cold.cacheHits} → ${p50(cached.map((c) => c.cacheHits))}`,
    );
    report(
      'whole workflow (2 jobs: checkout, placement, build, run image)',
      `${(cold.wallMs / 1000).toFixed(1)} s → ${(p50(cached.map((c) => c.wallMs)) / 1000).toFixed(1)} s`,
      '—',
      `${runs} cached runs`,
    );
  } finally {
    rmSync(ws.dir, { recursive: true, force: true });
    await stopNodeWithNamespace(t);
  }
}
