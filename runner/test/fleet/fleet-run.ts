/**
 * One fleet simulation (issue #20): GitHub emulator → controller (2 replicas, one leads) → one virtual node on
 * `--backend eci` → ECI emulator whose runtime is simulated (SimulatedRuntime: no containers; each group goes
 * Scheduling → Pending → Running → Succeeded with a start delay drawn from a distribution, default p50 8 s / p95
 * 20 s) → simulated runners that take each job from the GitHub emulator with its pod's JIT config and complete it.
 * Everything but the emulators runs as the product's own processes against the real kube-apiserver, so the memory
 * figures are the node's and the controller's.
 *
 * Jobs are queued at `ratePerSecond` (default 20/s: ECI's sustained CreateContainerGroup rate, so the pipeline is
 * measured at the pace the quota allows rather than as a queue building up in front of it), and each job runs for
 * `jobMs` (default: long enough that every pod of the run exists at once, so the node holds N pods).
 *
 * Measured: T = first job queued → last CreateContainerGroup accepted; Q = the least time the published create
 * quota allows for N groups; webhook → pod p99 (job queued, its webhook delivered → the pod seen by a watch); the
 * node's and the leading controller's peak RSS over the run, with the most pods the node held at once; throttled ECI
 * answers.
 */
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeInformer, type V1Pod } from '@kubernetes/client-node';
import { LABEL } from '@eci-virtual/contract';
import type { KubeClients } from '../../src/kube/client.js';
import { quotaFloorSeconds } from '../eci-emulator/limits.js';
import { startSimulatedEciNode, stopSimulatedEciNode } from '../eci-emulator/simulated-node.js';
import { SimulatedRuntime } from '../eci-emulator/simulated-runtime.js';
import type { StartDelayDistribution } from '../eci-emulator/start-delays.js';
import { ControllerStack } from '../harness/controller-stack.js';
import { cpuPerJob, cpuSnapshot } from './cpu-usage.js';
import { peakPointsPerMinute } from './github-points.js';
import { SimulatedRunners } from './simulated-runners.js';

const REPO = 'fleet-org/app';
/** Every image of the simulation: nothing is pulled or run. */
const SIM_IMAGE = 'registry.invalid/fleet/simulated:1';
const WORKFLOW = 'name: CI\non: push\njobs:\n  sim:\n    runs-on: eci-virtual\n    steps: [{ run: "true" }]\n';

export interface FleetOptions {
  jobs: number;
  kube: KubeClients;
  kubeconfig: string;
  ratePerSecond?: number;
  jobMs?: number;
  startDelays?: StartDelayDistribution;
  replicas?: number;
  /** Give up waiting for the jobs after this long (default 10 min). */
  timeoutMs?: number;
  /** Log webhook→pod and this process's timer lateness per 2 s of the burst (where the slow launches fall). */
  trace?: boolean;
  log?: (line: string) => void;
}

export interface FleetResult {
  jobs: number;
  completed: number;
  groupsCreated: number;
  /** First job queued → last CreateContainerGroup accepted (s). */
  allCreatedSeconds: number;
  quotaFloorSeconds: number;
  webhookToPodP50Ms: number;
  webhookToPodP99Ms: number;
  /** The node's peak RSS over the whole run (MB): an upper bound while it held `maxPods` pods at once. */
  nodeRssMb: number;
  /** The most pods the node held at once during the run. */
  maxPods: number;
  controllerRssMb: number;
  throttled: number;
  /** The busiest GitHub REST endpoint's most secondary-limit points in a minute (github-points.ts). */
  githubPeak: { endpoint: string; points: number };
  /** ECI calls by action during the run. */
  calls: Record<string, number>;
  /** Runner errors (simulated runners that failed to take or finish a job). */
  runnerErrors: string[];
  /**
   * Runners the broker refused (registration gone) before they took a job while the job their pod was launched for
   * still waited, by HTTP status: a runner removed under a launch in flight.
   */
  runnersRefused: Record<string, number>;
  /** Spare runners refused after their own job had completed elsewhere (reaped on purpose: expected). */
  spareRunnersReaped: number;
  /**
   * The leading controller's own count (its webhook→pod histogram): of the pods it created, how many within 100 ms
   * of receiving their webhook — the launch without the delivery and the watch that P also includes.
   */
  controllerWithin100ms: { within: number; of: number };
  /**
   * This process's event-loop delay during the burst (ms, p99 and max): it times both ends of P, so a late timer
   * or watch callback here adds to P.
   */
  observerDelayMs: { p99: number; max: number };
  /** CPU used from the first job queued until every pod existed, per process group and per job (cpu-usage.ts). */
  cpu: ReturnType<typeof cpuPerJob>;
}

/** A Prometheus histogram's observations ≤ `le`, and all of them, from exposition `text` (0 of 0 when absent). */
export function histogramWithin(text: string, name: string, le: string): { within: number; of: number } {
  const bucket = new RegExp(`^${name}_bucket\\{le="${le.replace('.', '\\.')}"\\} (\\d+)`, 'm').exec(text);
  const count = new RegExp(`^${name}_count (\\d+)`, 'm').exec(text);
  return { within: Number(bucket?.[1] ?? 0), of: Number(count?.[1] ?? 0) };
}

/** Resident set size of a process in MB (0 when it is gone). */
function rssMb(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) / 1024 : 0;
  } catch {
    return 0;
  }
}

function percentile(values: number[], p: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function formatFleetLine(r: FleetResult): string {
  return (
    `fleet: ${r.jobs} jobs, all groups created ${r.allCreatedSeconds.toFixed(1)} s ` +
    `(quota floor ${r.quotaFloorSeconds.toFixed(1)} s), webhook→pod p99 ${Math.round(r.webhookToPodP99Ms)} ms, ` +
    `node RSS ${Math.round(r.nodeRssMb)} MB at ${r.maxPods} pods, ` +
    `controller RSS ${Math.round(r.controllerRssMb)} MB, throttled ${r.throttled}`
  );
}

export async function runFleet(o: FleetOptions): Promise<FleetResult> {
  const n = o.jobs;
  const rate = o.ratePerSecond ?? 20;
  const jobMs = o.jobMs ?? Math.ceil(n / rate) * 1000 + 30_000;
  const log = o.log ?? (() => undefined);
  let runtime: SimulatedRuntime | undefined = undefined;
  let jobDone: (jobId: number) => boolean = () => false;
  const runners = new SimulatedRunners({
    jobMs,
    finish: (id, code) => runtime?.finish(id, code),
    // The controller names a job's runners `eci-virtual-<job id>` and `eci-virtual-<job id>-<n>` (README, controller).
    ownJobDone: (name) => {
      const id = /^eci-virtual-(\d+)(?:-\d+)?$/.exec(name)?.[1];
      return id !== undefined && jobDone(Number(id));
    },
  });
  runtime = new SimulatedRuntime(runners.onStart);
  const sim = await startSimulatedEciNode({
    kube: o.kube,
    kubeconfig: o.kubeconfig,
    prefix: 'fleet',
    pods: n,
    runtime,
    image: SIM_IMAGE,
    ...(o.startDelays ? { startDelays: o.startDelays } : {}),
  });
  const { emu, t } = sim;
  const stack = new ControllerStack({
    repo: REPO,
    namespace: t.ns,
    nodeName: t.nodeName,
    maxConcurrentJobs: n + 10,
    pollIntervalSeconds: 30,
    kubeconfig: o.kubeconfig,
    replicas: o.replicas ?? 2,
    runnerImage: SIM_IMAGE,
    hooksImage: SIM_IMAGE,
  });
  const queuedAt = new Map<string, number>();
  const podAt = new Map<string, number>();
  const live = new Set<string>();
  let maxPods = 0;
  // An informer, not a bare watch: a watch the API server ends (timeout, too old resourceVersion) would stop the
  // count at whatever it had seen (a run once reported p99 Infinity at 567 of 1000 pods); the informer re-lists.
  const seen = (pod: V1Pod, deleted: boolean) => {
    const uid = pod.metadata?.uid ?? '';
    if (deleted) live.delete(uid);
    else live.add(uid);
    maxPods = Math.max(maxPods, live.size);
    const id = pod.metadata?.labels?.[LABEL.jobId];
    if (id && !podAt.has(id)) podAt.set(id, performance.now());
  };
  const informer = makeInformer<V1Pod>(o.kube.config, `/api/v1/namespaces/${t.ns}/pods`, () =>
    o.kube.core.listNamespacedPod({ namespace: t.ns }),
  );
  let watching = true;
  informer.on('add', (p) => seen(p, false));
  informer.on('update', (p) => seen(p, false));
  informer.on('delete', (p) => seen(p, true));
  informer.on('error', () => {
    if (watching) setTimeout(() => void informer.start().catch(() => undefined), 500);
  });
  await informer.start();
  let nodeRss = 0;
  const controllerRss: number[] = [];
  const sampler = setInterval(() => {
    nodeRss = Math.max(nodeRss, rssMb(t.node.pid));
    for (let i = 0; i < stack.replicas; i++) controllerRss[i] = Math.max(controllerRss[i] ?? 0, rssMb(stack.pid(i)));
  }, 500);
  try {
    await stack.start();
    const leader = await stack.leader();
    log(`fleet: ${n} jobs at ${rate}/s, each held ${Math.round(jobMs / 1000)} s; controller replica ${leader} leads`);
    jobDone = (id) => stack.emulator.state.jobs.get(id)?.status === 'completed';
    const cpuGroups = () => ({
      controllers: Array.from({ length: stack.replicas }, (_, i) => stack.pid(i) ?? 0).filter(Boolean),
      'virtual node': t.node.pid ? [t.node.pid] : [],
      'this simulation': [process.pid],
    });
    const cpuBefore = cpuSnapshot(cpuGroups());
    const firstQueued = Date.now();
    const t0 = performance.now();
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    // Timer lateness per 2 s window of the burst, for the trace.
    const late: number[] = [];
    let tick = performance.now();
    const lateness = setInterval(() => {
      const now = performance.now();
      const w = Math.floor((now - t0) / 2000);
      late[w] = Math.max(late[w] ?? 0, now - tick - 50);
      tick = now;
    }, 50);
    const queued = await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const wait = t0 + (i * 1000) / rate - performance.now();
        if (wait > 0) await sleep(wait);
        const at = performance.now();
        const job = await stack.emulator.queueJob({
          repo: REPO,
          workflowPath: '.github/workflows/ci.yml',
          workflowText: WORKFLOW,
          name: 'sim',
          labels: ['eci-virtual'],
          message: { steps: [] },
        });
        queuedAt.set(String(job.id), at);
        return job;
      }),
    );
    // The burst is over once every job has its pod (or after a minute more than the arrivals take).
    const burstEnd = performance.now() + (n / rate) * 1000 + 60_000;
    while (podAt.size < n && performance.now() < burstEnd) await sleep(100);
    const cpu = cpuPerJob(cpuBefore, cpuSnapshot(cpuGroups()), n);
    loopDelay.disable();
    clearInterval(lateness);
    if (o.trace) {
      for (let w = 0; w * 2000 < (n / rate) * 1000 + 2000; w++) {
        const inWindow = [...queuedAt]
          .filter(([, at]) => Math.floor((at - t0) / 2000) === w)
          .map(([id, at]) => (podAt.get(id) ?? NaN) - at);
        if (!inWindow.length) continue;
        const from = firstQueued + w * 2000;
        const reads = stack.emulator.requests.filter(
          (r) => r.at >= from && r.at < from + 2000 && r.path.includes('/actions/runs'),
        ).length;
        log(
          `  trace ${w * 2}-${w * 2 + 2} s: ${reads} poll reads (GitHub runs and their jobs), ` +
            `${inWindow.length} queued, webhook→pod p50 ` +
            `${Math.round(percentile(inWindow, 50))} max ${Math.round(Math.max(...inWindow))} ms; ` +
            `this process's timers late by up to ${Math.round(late[w] ?? 0)} ms`,
        );
      }
    }
    const observerDelayMs = {
      p99: loopDelay.percentile(99) / 1e6,
      max: loopDelay.max / 1e6,
    };
    const controllerMetrics = await fetch(`${stack.replicaUrl(leader)}/metrics`)
      .then((r) => r.text())
      .catch(() => '');
    const controllerWithin100ms = histogramWithin(
      controllerMetrics,
      'eci_virtual_controller_webhook_to_pod_seconds',
      '0.1',
    );
    const deadline = performance.now() + (o.timeoutMs ?? 600_000);
    const completed = () => queued.filter((j) => stack.emulator.state.jobs.get(j.id)?.status === 'completed').length;
    let lastReport = 0;
    while (completed() < n && performance.now() < deadline) {
      if (performance.now() - lastReport > 10_000) {
        lastReport = performance.now();
        log(
          `  ${Math.round((performance.now() - t0) / 1000)} s: ${podAt.size} pods created, ` +
            `${emu.calls.filter((c) => c.action === 'CreateContainerGroup' && c.status === 200).length} groups, ` +
            `${runners.jobsTaken} jobs taken, ${completed()} completed; node ${Math.round(rssMb(t.node.pid))} MB`,
        );
      }
      await sleep(250);
    }
    const calls = emu.calls.filter((c) => c.at >= firstQueued);
    const creates = calls.filter((c) => c.action === 'CreateContainerGroup' && c.status === 200);
    const lastCreate = Math.max(...creates.map((c) => c.at));
    const latencies = [...queuedAt].filter(([id]) => podAt.has(id)).map(([id, at]) => podAt.get(id)! - at);
    const byAction: Record<string, number> = {};
    for (const c of calls) byAction[c.action] = (byAction[c.action] ?? 0) + 1;
    return {
      jobs: n,
      completed: completed(),
      groupsCreated: creates.length,
      allCreatedSeconds: creates.length ? (lastCreate - firstQueued) / 1000 : NaN,
      quotaFloorSeconds: quotaFloorSeconds('CreateContainerGroup', n),
      webhookToPodP50Ms: percentile(latencies, 50),
      webhookToPodP99Ms: latencies.length === n ? percentile(latencies, 99) : Infinity,
      nodeRssMb: nodeRss,
      maxPods,
      controllerRssMb: controllerRss[leader] ?? 0,
      throttled: calls.filter((c) => /^Throttling/.test(c.code ?? '')).length,
      githubPeak: peakPointsPerMinute(stack.emulator.requests.filter((r) => r.at >= firstQueued)),
      calls: byAction,
      runnerErrors: [...runners.outcomes.values()].flatMap((r) => (r.error ? [r.error] : [])),
      runnersRefused: [...runners.outcomes.values()].reduce<Record<string, number>>((acc, r) => {
        if (r.refused && !r.refusedAfterOwnJob) acc[r.refused] = (acc[r.refused] ?? 0) + 1;
        return acc;
      }, {}),
      spareRunnersReaped: [...runners.outcomes.values()].filter((r) => r.refused && r.refusedAfterOwnJob).length,
      controllerWithin100ms,
      observerDelayMs,
      cpu,
    };
  } finally {
    clearInterval(sampler);
    watching = false;
    await informer.stop();
    await stack.stop();
    await runners.close();
    await stopSimulatedEciNode(sim, n);
  }
}
