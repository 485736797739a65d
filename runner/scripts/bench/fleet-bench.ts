/**
 * `yarn bench fleet` — the fleet simulation (test/fleet/fleet-run.ts): for each N in FLEET_JOBS (default "100,1000"),
 * one run through the GitHub emulator, 2 controller replicas, one virtual node on `--backend eci` and the ECI
 * emulator with a simulated runtime, printing one line per run:
 *   fleet: <N> jobs, all groups created <T> s (quota floor <Q> s), webhook→pod p99 <P> ms, node RSS <M> MB at <K>
 *   pods, controller RSS <C> MB, throttled <Z>
 * FLEET_RATE sets the arrival rate (jobs/s, default 20), FLEET_JOB_SECONDS how long each job runs,
 * FLEET_TIMEOUT_SECONDS how long a run may take (default 600), FLEET_TRACE=1 logs webhook→pod per 2 s of the burst.
 */
import { loadKubeConfig, makeClients } from '../../src/kube/client.js';
import { POINTS_PER_MINUTE } from '../../test/fleet/github-points.js';
import { formatFleetLine, runFleet, type FleetResult } from '../../test/fleet/fleet-run.js';
import { formatCpu } from '../../test/fleet/cpu-usage.js';
import type { ClusterInfo } from '../lib/cluster.js';

/** The targets of issue #20 for a run of `r.jobs` jobs; empty when all are met. */
export function missedTargets(r: FleetResult): string[] {
  const missed: string[] = [];
  if (r.groupsCreated < r.jobs) missed.push(`only ${r.groupsCreated}/${r.jobs} groups created`);
  if (r.completed < r.jobs) missed.push(`only ${r.completed}/${r.jobs} jobs completed`);
  if (r.throttled > 0) missed.push(`throttled ${r.throttled}`);
  if (r.jobs >= 1000) {
    if (r.allCreatedSeconds > 1.1 * r.quotaFloorSeconds + 5) missed.push('T > 1.1 × Q + 5 s');
    if (r.webhookToPodP99Ms > 100) missed.push('webhook→pod p99 > 100 ms');
    if (r.nodeRssMb > 256) missed.push('node RSS > 256 MB');
    if (r.maxPods < 1000) missed.push('fewer than 1000 pods at once');
  } else if (r.jobs === 100 && r.allCreatedSeconds > 10) missed.push('T > 10 s');
  return missed;
}

export async function fleetBench(cluster: ClusterInfo): Promise<void> {
  const kube = makeClients(loadKubeConfig(cluster.kubeconfig));
  const sizes = (process.env.FLEET_JOBS ?? '100,1000').split(',').map(Number);
  const lines: string[] = [];
  for (const jobs of sizes) {
    const r = await runFleet({
      jobs,
      kube,
      kubeconfig: cluster.kubeconfig,
      ...(process.env.FLEET_RATE ? { ratePerSecond: Number(process.env.FLEET_RATE) } : {}),
      ...(process.env.FLEET_TIMEOUT_SECONDS ? { timeoutMs: Number(process.env.FLEET_TIMEOUT_SECONDS) * 1000 } : {}),
      ...(process.env.FLEET_JOB_SECONDS ? { jobMs: Number(process.env.FLEET_JOB_SECONDS) * 1000 } : {}),
      ...(process.env.FLEET_TRACE ? { trace: true } : {}),
      log: (l) => console.log(l),
    });
    const missed = missedTargets(r);
    const line = formatFleetLine(r);
    lines.push(line);
    console.log(line);
    console.log(
      `  webhook→pod p50 ${Math.round(r.webhookToPodP50Ms)} ms; ${r.completed}/${r.jobs} jobs completed; ` +
        `at most ${r.maxPods} pods at once; ECI calls ${JSON.stringify(r.calls)}; ` +
        `GitHub's busiest endpoint ${r.githubPeak.endpoint} took ${r.githubPeak.points} points in a minute ` +
        `(GitHub.com allows ${POINTS_PER_MINUTE}); the leading controller created ` +
        `${r.controllerWithin100ms.within} of ${r.controllerWithin100ms.of} pods within 100 ms of their webhook; ` +
        `this process's event loop (it times both ends of P) was late by p99 ${Math.round(r.observerDelayMs.p99)} ms, ` +
        `at most ${Math.round(r.observerDelayMs.max)} ms; ${formatCpu(r.cpu)}` +
        (Object.keys(r.runnersRefused).length ? `; runners refused ${JSON.stringify(r.runnersRefused)}` : '') +
        (r.runnerErrors.length ? `; runner errors: ${r.runnerErrors.slice(0, 3).join(' | ')}` : '') +
        (missed.length ? `\n  targets missed: ${missed.join(', ')}` : '\n  targets met'),
    );
  }
  if (lines.length > 1) console.log(`\n${lines.join('\n')}`);
}
