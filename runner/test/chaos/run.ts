/**
 * One chaos run: a real cluster and engine, a virtual node (docker backend, or `--backend eci` against the ECI
 * emulator whose container groups run as real pods on the engine), two controller replicas behind one webhook address, the
 * GitHub emulator and the runner stand-in; a seeded workload (workload.ts) queued a few jobs at a time while the
 * seeded injector (faults.ts) keeps breaking things; then every job is judged (verifier.ts), leftovers are counted
 * and the seeded secrets are looked for everywhere (secret-scan.ts). Shared by `yarn chaos` and the CI-sized test.
 *
 * Recovery: for each fault, the time from when the system is fault-free again (its end — the component back, the
 * window closed — or that of a later fault injected before progress resumed) until it makes progress again — a step
 * result or a job completion reaching GitHub — while work was outstanding (recovery.ts).
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadKubeConfig, makeClients } from '../../src/kube/client.js';
import { ensureCluster, stopClusterComponent } from '../../scripts/lib/cluster.js';
import { startNodeWithNamespace, stopNodeWithNamespace } from '../../scripts/lib/node-with-namespace.js';
import { engineDir } from '../../scripts/lib/engine-layout.js';
import { localDir } from '../../scripts/lib/paths.js';
import { ensurePodmanService, stopPodmanService } from '../../scripts/lib/podman-service.js';
import { seededRandom } from '../seeded-random.js';
import { ControllerStack } from '../harness/controller-stack.js';
import { leftovers } from '../harness/heterogeneous-burst.js';
import { CutProxy } from './cut-proxy.js';
import { startEmulatorOnEngine, type EmulatorOnEngine } from '../eci-emulator/on-engine.js';
import { FaultInjector, type FaultKind, type FaultRecord } from './faults.js';
import { SecretScanner } from './secret-scan.js';
import { judgeJob } from './verifier.js';
import { generateWorkload, stepCount, type ChaosImages, type ChaosJob } from './workload.js';
import { recoveryTimes } from './recovery.js';

export interface ChaosRunOptions {
  seed: number;
  jobs: number;
  minSteps: number;
  maxSteps: number;
  /** Jobs queued and not yet completed at any time. */
  concurrency: number;
  /** The virtual node's backend (default docker); `eci` runs it against the ECI emulator on the engine. */
  backend?: 'docker' | 'eci';
  kinds: FaultKind[];
  gapMs: [number, number];
  downMs: [number, number];
  dropMs: [number, number];
  /** How long an ECI throttling storm or 5xx window lasts, ms (default 5–20 s). */
  eciWindowMs?: [number, number];
  /** The workload gives up after this long (unfinished jobs are wrong results). */
  deadlineMs: number;
  kubeconfig: string;
  dockerHost: string;
  images: ChaosImages;
  log: (msg: string) => void;
}

export interface ChaosReport {
  jobs: number;
  steps: number;
  faults: number;
  wrong: number;
  lines: number;
  orphans: number;
  leaked: number;
  worstRecoveryS: number;
  details: {
    wrong: string[];
    orphans: string[];
    leaks: string[];
    faults: FaultRecord[];
    /** Each fault's recovery, seconds (same order as `faults`). */
    recoveries: number[];
    seconds: number;
  };
}

/** The faults that took longest to recover from, for the log: `kind detail: R s` each. */
export const slowestRecoveries = (r: ChaosReport, n = 3) =>
  r.details.faults
    .map((f, i) => ({ f, s: r.details.recoveries[i] ?? 0, at: new Date(f.endedAt).toISOString().slice(11, 19) }))
    .sort((a, b) => b.s - a.s)
    .slice(0, n)
    .map(({ f, s, at }) => `${f.kind} ${f.detail} (ended ${at}): ${s.toFixed(1)} s`);

export const chaosLine = (r: ChaosReport) =>
  `chaos: ${r.jobs} jobs, ${r.steps} steps, ${r.faults} faults, ${r.wrong} wrong results, ${r.lines} lost or repeated ` +
  `lines, ${r.orphans} orphans, ${r.leaked} leaked secrets, worst recovery ${r.worstRecoveryS.toFixed(1)} s`;

const REPO = 'chaos-org/chaos';

/**
 * Agent processes (`eci-agent serve`) in containers of this checkout's engine: the engine's containers run on this
 * machine, each container's first process a child of the conmon that names the engine's directory.
 */
function agentProcesses(): number[] {
  const found: number[] = [];
  const cmdline = (pid: string) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const cmd = cmdline(e);
      if (!/eci-agent$/.test(cmd[0] ?? '') || cmd[1] !== 'serve') continue;
      const ppid = /^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${e}/status`, 'utf8'))?.[1];
      if (ppid && cmdline(ppid).some((a) => a.includes(engineDir))) found.push(Number(e));
    } catch {
      /* gone */
    }
  }
  return found;
}

/** A copy of the kubeconfig that reaches the API server through `proxy`. */
function proxiedKubeconfig(kubeconfig: string, proxy: CutProxy, seed: number): string {
  const text = readFileSync(kubeconfig, 'utf8').replace(
    /"server":\s*"https:\/\/127\.0\.0\.1:\d+"|server:\s*https:\/\/127\.0\.0\.1:\d+/,
    (m) => m.replace(/:\d+("?)$/, `:${proxy.port}$1`),
  );
  mkdirSync(join(localDir, 'test-logs'), { recursive: true });
  const path = join(localDir, 'test-logs', `chaos-${seed}-kubeconfig`);
  writeFileSync(path, text, { mode: 0o600 });
  return path;
}

export async function runChaos(o: ChaosRunOptions): Promise<ChaosReport> {
  const started = Date.now();
  const rand = seededRandom(o.seed);
  const workload = generateWorkload(o.seed, seededRandom(o.seed ^ 0x5eed), o.jobs, o.images, {
    minSteps: o.minSteps,
    maxSteps: o.maxSteps,
  });
  const kube = makeClients(loadKubeConfig(o.kubeconfig));
  const apiPort = Number(/127\.0\.0\.1:(\d+)/.exec(readFileSync(o.kubeconfig, 'utf8'))![1]);
  const proxy = new CutProxy('127.0.0.1', apiPort);
  await proxy.start();
  const agentsBefore = new Set(agentProcesses());
  let t: Awaited<ReturnType<typeof startNodeWithNamespace>>;
  let proxied: string;
  let eci: EmulatorOnEngine | undefined;
  try {
    proxied = proxiedKubeconfig(o.kubeconfig, proxy, o.seed);
    if (o.backend === 'eci')
      eci = await startEmulatorOnEngine({
        dockerHost: o.dockerHost,
        infraImage: o.images.busybox,
        cluster: 'chaos',
        // Scheduling and pulls take time on ECI; shorter here (as in the integration suite) so a run stays quick.
        delays: { scheduleMs: 300, pullMs: 400, cachedPullMs: 100, imageCacheMs: 1_500 },
      });
    t = await startNodeWithNamespace({
      kube,
      prefix: 'chaos',
      kubeconfig: proxied,
      dockerHost: o.dockerHost,
      infraImage: o.images.busybox,
      extraArgs: ['--pods', '500', '--cpu', '1000', '--memory', '4Ti', ...(eci?.nodeArgs ?? [])],
      ...(eci ? { env: eci.nodeEnv } : {}),
    });
  } catch (err) {
    await eci?.emu.stop().catch(() => undefined);
    await proxy.stop();
    throw err;
  }
  const stack = new ControllerStack({
    repo: REPO,
    namespace: t.ns,
    nodeName: t.nodeName,
    replicas: 2,
    kubeconfig: proxied,
    maxConcurrentJobs: o.concurrency,
    pollIntervalSeconds: 5,
  });
  const scanner = new SecretScanner(workload.flatMap((j) => j.secrets));
  const progress: number[] = [];
  let injector: FaultInjector | undefined;
  let finishedAt = 0;
  try {
    await stack.start();
    o.log(
      `seed ${o.seed}: ${workload.length} jobs, ${stepCount(workload)} steps; namespace ${t.ns}, node ${t.nodeName}` +
        (eci ? ` (--backend eci, emulator ${eci.emu.endpoint})` : ''),
    );
    injector = new FaultInjector(
      rand,
      {
        stack,
        node: t.node,
        kube,
        proxy,
        stopApiComponent: (c) => stopClusterComponent(c),
        healCluster: () => ensureCluster(() => undefined),
        stopEngineApi: () => stopPodmanService(),
        startEngineApi: () => ensurePodmanService(false, () => undefined),
        ...(eci ? { eci: eci.emu } : {}),
      },
      {
        kinds: o.kinds,
        gapMs: o.gapMs,
        downMs: o.downMs,
        dropMs: o.dropMs,
        ...(o.eciWindowMs ? { eciWindowMs: o.eciWindowMs } : {}),
      },
      o.log,
    );
    const state = stack.emulator.state;
    const completed = (j: ChaosJob) => j.emu !== undefined && state.jobs.get(j.emu.id)!.status === 'completed';
    const deadline = started + o.deadlineMs;
    let done = false;
    const injecting = injector.run(() => done);

    // Progress: a step result or a job completion reaching GitHub.
    let lastSig = '';
    const cancelsAt = new Map<number, number>();
    let nextSweep = 0;
    let next = 0;
    while (!done) {
      const inFlight = workload.filter((j) => j.emu && !completed(j)).length;
      for (let k = inFlight; k < o.concurrency && next < workload.length; k++) {
        const j = workload[next++]!;
        j.emu = await stack.emulator.queueJob({
          repo: REPO,
          workflowPath: `.github/workflows/chaos-${j.n}.yml`,
          workflowText: j.workflow,
          name: j.name,
          labels: j.labels,
          message: { ...j.message, steps: j.steps, secrets: j.secrets },
        });
      }
      let results = 0;
      let finished = 0;
      for (const j of workload) {
        if (!j.emu) continue;
        const e = state.jobs.get(j.emu.id)!;
        results += e.results.length;
        if (e.status === 'completed') finished++;
        // Cancel while the step named in `cancelDuring` runs: a few seconds after the step before it reported.
        if (j.cancelDuring && e.status === 'in_progress' && !cancelsAt.has(j.n)) {
          const before = j.steps[j.steps.findIndex((s) => s.name === j.cancelDuring) - 1]!.name;
          if (e.results.some((r) => r.name === before)) cancelsAt.set(j.n, Date.now() + 4_000);
        }
        const at = cancelsAt.get(j.n);
        if (at !== undefined && at > 0 && Date.now() >= at && e.status === 'in_progress') {
          stack.emulator.cancelRunning(e.id);
          cancelsAt.set(j.n, 0);
        }
      }
      const sig = `${results}/${finished}`;
      if (sig !== lastSig) progress.push(Date.now());
      lastSig = sig;
      if (Date.now() >= nextSweep) {
        nextSweep = Date.now() + 5_000;
        await scanner.sweepCluster(kube, t.ns).catch(() => undefined);
      }
      done = (next >= workload.length && finished === workload.length) || Date.now() > deadline;
      await sleep(250);
    }
    finishedAt = Date.now();
    injector.stop();
    await injecting;
    await injector.heal();
    o.log(`workload ${Date.now() > deadline ? 'stopped at its deadline' : 'finished'}; waiting for the clean-up`);

    // Clean-up is asynchronous (completed webhook or reconcile, then GC): allow it a bounded time.
    const orphans = async () => [
      ...(await leftovers(kube, t.ns)),
      ...[...state.runners.values()].map((r) => `runner registration ${r.name}`),
      ...agentProcesses()
        .filter((p) => !agentsBefore.has(p))
        .map((p) => `agent process ${p}`),
      // On ECI a pod is a container group: one the node did not delete keeps running (and billing).
      ...(eci?.emu.groups.all() ?? []).map((g) => `container group ${g.id} (${g.status}, ${g.meta.name})`),
    ];
    let left = await orphans().catch((e: unknown) => [`(listing failed: ${String(e)})`]);
    const cleanUntil = Date.now() + 180_000;
    while (left.length && Date.now() < cleanUntil) {
      await sleep(2_000);
      left = await orphans().catch((e: unknown) => [`(listing failed: ${String(e)})`]);
    }

    await scanner.sweepCluster(kube, t.ns).catch(() => undefined);
    scanner.scanFiles([...Array.from({ length: stack.replicas }, (_, i) => stack.replicaLog(i)), t.node.logFile]);
    scanner.scanStepLogs(workload.flatMap((j) => (j.emu ? [state.jobs.get(j.emu.id)!] : [])));

    const wrong: string[] = [];
    let lines = 0;
    for (const j of workload) {
      const v = judgeJob(j, j.emu ? state.jobs.get(j.emu.id) : undefined);
      if (v.wrong) wrong.push(`${j.name}: ${v.wrong}`);
      lines += v.lines.lost + v.lines.repeated;
    }
    const recoveries = recoveryTimes(injector.records, progress, finishedAt);
    return {
      jobs: workload.filter((j) => j.emu).length,
      steps: stepCount(workload.filter((j) => j.emu)),
      faults: injector.records.length,
      wrong: wrong.length,
      lines,
      orphans: left.length,
      leaked: scanner.findings.size,
      worstRecoveryS: Math.max(0, ...recoveries),
      details: {
        wrong,
        orphans: left,
        leaks: [...scanner.findings],
        faults: injector.records,
        recoveries,
        seconds: (Date.now() - started) / 1000,
      },
    };
  } finally {
    injector?.stop();
    await stack.stop().catch(() => undefined);
    await stopNodeWithNamespace(t, 300_000).catch(() => undefined);
    await eci?.emu.stop().catch(() => undefined);
    await proxy.stop();
  }
}
