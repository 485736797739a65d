/**
 * Step overhead, each figure measured in the same run (`yarn bench steps`), printed as one line:
 *
 *   step overhead: agent p50 <n> ms, engine exec p50 <m> ms, hook start p50 <h> ms, run step p50 <r> ms
 *
 * n — a `true` step from the hook handing it to the step agent until it holds the exit code (hooks/hook-step.ts, as
 *     run_script_step calls it: a fresh client, start, follow the output to its end, the result), against the agent
 *     of a real job pod on the local engine, composed like the controller's (agent init container + job container
 *     serving the agent). The host reaches the agent's socket on the pod's emptyDir through the engine volume.
 * m — a raw engine exec of `true` into the same container (Docker-compatible API on the Podman socket): what one
 *     exec per step would cost before Kubernetes and the API server add theirs.
 * h — the hook process's own start-up: `node <hooks bundle>` with a trivial input (cleanup_job), spawn to exit.
 * r — a `true` step end to end under `eci-virtual run` (JobRunner with the agent image: every step of the job through
 *     the job container's agent over one `eci-agent dial` exec), from the step's start to its conclusion, file
 *     commands read back included.
 * Targets (shared/DESIGN.md, issue #17): n ≤ 10 ms and n < m/3; r ≤ 30 ms.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { AGENT, agentSocketPath, CONTAINER, ENGINE_LABEL, Internal } from '@eci-virtual/contract';
import { runHookStep } from '../../src/hooks/hook-step.js';
import type { HookContext } from '../../src/hooks/hook-context.js';
import { expressionEngine } from '../../src/local-run/from-workflow.js';
import { JobRunner } from '../../src/local-run/job-runner.js';
import type { JobSpec } from '../../src/local-run/job-spec.js';
import { waitForRunning } from '../../src/local-run/pod-waiter.js';
import { loadKubeConfig, makeClients } from '../../src/kube/client.js';
import { KubeExec } from '../../src/kube/exec.js';
import { createLogger } from '../../src/observability/logger.js';
import {
  agentInstallContainer,
  agentVolume,
  JOB_POD_SPEC_BASE,
  jobContainer,
  scheduling,
  workspaceVolumes,
} from '../../src/pod-assembly/pod-parts.js';
import { AgentClient } from '../../src/step-transport/agent/client.js';
import { execInContainer } from '../../src/virtual-node/backends/docker/docker-streams.js';
import { EngineClient } from '../../src/virtual-node/backends/docker/engine-client.js';
import { volumeName } from '../../src/virtual-node/backends/docker/labels.js';
import { ensureTestHooksImage } from '../../test/harness/hooks-image.js';
import type { ClusterInfo } from '../lib/cluster.js';
import type { EngineEnv } from '../lib/engine.js';
import { stopNodeWithNamespace } from '../lib/node-with-namespace.js';
import { repoRoot } from '../lib/paths.js';
import { startBenchNode } from './bench-node.js';
import { quietReporter } from './quiet-reporter.js';
import { percentile, sample } from './stats.js';

const WARMUP = 5;
/** Warmed-up sample: the first steps pay for cold caches (bundle parse, first connection). */
const sampleWarm = (n: number, fn: () => Promise<unknown>) => sample(n, fn, WARMUP);

export async function stepsBench(cluster: ClusterInfo, engine: EngineEnv, n = 40): Promise<void> {
  const kube = makeClients(loadKubeConfig(cluster.kubeconfig));
  const hooksImage = await ensureTestHooksImage();
  const t = await startBenchNode(cluster, engine, 'steps', []);
  const { ns, nodeName } = t;
  const engineClient = new EngineClient(engine.dockerHost);
  try {
    // 1. A job pod with the agent, as the controller composes one.
    const pod: V1Pod = {
      metadata: { name: 'agent-steps' },
      spec: {
        ...JOB_POD_SPEC_BASE,
        ...scheduling({ placement: 'virtual', nodeName }),
        initContainers: [agentInstallContainer(hooksImage, 'IfNotPresent')],
        containers: [jobContainer({ image: engine.images.busybox, pullPolicy: 'IfNotPresent', agent: true })],
        volumes: [...workspaceVolumes(), agentVolume()],
      },
    };
    const created = await kube.core.createNamespacedPod({ namespace: ns, body: pod });
    await waitForRunning(kube, ns, 'agent-steps', { timeoutMs: 120_000 });
    const ref = { namespace: ns, name: 'agent-steps', uid: created.metadata!.uid! };
    const mountpoint = async (volume: string) =>
      (await engineClient.json<{ Mountpoint: string }>('GET', `/volumes/${volumeName(ref, volume)}`)).Mountpoint;
    const workspace = await mountpoint('work');
    const token = readFileSync(join(await mountpoint(AGENT.volume), 'token'), 'utf8').trim();
    const socketPath = agentSocketPath(workspace, CONTAINER.job);
    const probe = new AgentClient({ socketPath, token });
    for (let i = 0; !(await probe.health()); i++) {
      if (i > 200) throw new Internal(`the job pod's agent does not answer on ${socketPath}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    probe.close();
    const ctx = {
      pod: ref,
      workDir: workspace,
      agent: () => new AgentClient({ socketPath, token }),
      out: () => undefined,
      signals: process,
    } as unknown as HookContext;
    const agent = await sampleWarm(n, async () => {
      const code = await runHookStep(
        ctx,
        { container: CONTAINER.job, agent: true },
        {
          argv: ['true'],
          env: {},
          prependPath: [],
        },
      );
      if (code !== 0) throw new Internal(`a \`true\` step through the agent exited ${code}`);
    });

    // 2. A raw engine exec of `true` into the same container.
    const [job] = await engineClient.json<{ Id: string }[]>('GET', '/containers/json', {
      query: {
        filters: JSON.stringify({
          label: [`${ENGINE_LABEL.uid}=${ref.uid}`, `${ENGINE_LABEL.container}=${CONTAINER.job}`],
        }),
      },
    });
    if (!job) throw new Internal('the job container is not in the engine');
    const exec = await sampleWarm(n, () =>
      execInContainer(engineClient, job.Id, ['true'], { tty: false }, new AbortController().signal),
    );
    await kube.core.deleteNamespacedPod({ namespace: ns, name: 'agent-steps', gracePeriodSeconds: 0 });

    // 3. The hook process's start-up.
    const bundle = join(repoRoot, 'runner', 'dist', 'hooks', 'index.js');
    const hook = await sampleWarm(n, () => nodeHook(bundle));

    // 4. A `true` step under `eci-virtual run`.
    const spec: JobSpec = {
      id: 'steps',
      name: 'steps',
      workflow: 'bench',
      services: [],
      env: {},
      defaults: {},
      steps: Array.from({ length: WARMUP + n }, (_, i) => ({ name: `step ${i}`, run: 'true', shell: 'sh' })),
    };
    const run = await new JobRunner({
      kube,
      transport: new KubeExec(kube),
      namespace: ns,
      job: spec,
      expressions: expressionEngine,
      reporter: quietReporter,
      log: createLogger({}, { level: 'error' }),
      defaultImage: engine.images.busybox,
      repository: 'bench/bench',
      placement: 'virtual',
      nodeName,
      agentImage: engine.images.agent,
    }).run();
    if (run.conclusion !== 'success')
      throw new Internal(`the eci-virtual run job failed: ${run.error ?? run.conclusion}`);
    const runExecs = run.steps.reduce((sum, s) => sum + s.execs, 0);
    const runStep = run.steps.slice(WARMUP).map((s) => s.durationMs);

    const p50 = (v: number[]) => percentile(v, 50);
    const [a, m, h, r] = [p50(agent), p50(exec), p50(hook), p50(runStep)].map((v) => v.toFixed(1));
    console.log(
      `step overhead: agent p50 ${a} ms, engine exec p50 ${m} ms, hook start p50 ${h} ms, run step p50 ${r} ms`,
    );
    const met = p50(agent) <= 10 && p50(agent) < p50(exec) / 3;
    console.log(
      `  targets: agent ≤ 10 ms and < engine exec / 3 (${(p50(exec) / 3).toFixed(1)} ms): ${met ? 'met' : 'MISSED'}` +
        ` · agent p90 ${percentile(agent, 90).toFixed(1)} ms · ${n} samples each`,
    );
    console.log(
      `  targets: run step ≤ 30 ms: ${p50(runStep) <= 30 ? 'met' : 'MISSED'} · run step p90 ${percentile(runStep, 90).toFixed(1)} ms` +
        ` · ${runExecs} exec(s) for the job's ${spec.steps.length} steps`,
    );
  } finally {
    engineClient.close();
    // The node must outlive its pods' deletion, or their containers are orphaned in the engine.
    await stopNodeWithNamespace(t, 120_000);
  }
}

/** `node <hooks bundle>` with cleanup_job, which exits right after parsing its input. */
function nodeHook(bundle: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bundle], { stdio: ['pipe', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Internal(`the hook exited ${code}`))));
    child.stdin.end(JSON.stringify({ command: 'cleanup_job', responseFile: null, args: {}, state: {} }));
  });
}
