/**
 * The CI-sized chaos run (issue #19; `yarn chaos` is the full one): a dozen seeded jobs of mixed shapes through two
 * controller replicas and the virtual node while a seeded injector kills the leader and the node, stops the API
 * server for 5 s, cuts API connections, makes GitHub answer 5xx and 429 and drop webhooks, and restarts the engine's
 * API service. Every job must end as its script determines, every printed line must reach GitHub once, nothing may
 * be left behind and no seeded secret may show up anywhere.
 *
 * Part of `yarn test` (ECI_VIRTUAL_CHAOS=0 skips it; ECI_VIRTUAL_CHAOS_BACKEND=eci runs the node against the ECI
 * emulator, adding ECI throttling storms and 5xx windows). Seed 19 once gave a 60.6 s recovery: its last job's pod, created
 * as kube-apiserver came back, waited ~58 s for kube-scheduler, whose watch was backing off (client-go's reflector:
 * up to 30 s doubled by jitter); the controller now binds such a stalled pod itself after 10 s
 * (controller/scheduling/stalled-pod-binder.ts).
 */
import { describe, expect, it, jest } from '@jest/globals';
import { readTestEnv } from '../harness/env.js';
import { chaosLine, runChaos, slowestRecoveries } from '../chaos/run.js';
import { ECI_FAULT_KINDS } from '../chaos/faults.js';

jest.setTimeout(900_000);

const SEED = Number(process.env.ECI_VIRTUAL_CHAOS_SEED ?? 19);

const enabled = process.env.ECI_VIRTUAL_CHAOS !== '0';
const backend = process.env.ECI_VIRTUAL_CHAOS_BACKEND === 'eci' ? 'eci' : 'docker';

(enabled ? describe : describe.skip)('chaos (CI size)', () => {
  it('survives a seeded stream of faults with no wrong result, lost line, orphan or leaked secret', async () => {
    const env = readTestEnv();
    const report = await runChaos({
      seed: SEED,
      jobs: 12,
      minSteps: 5,
      maxSteps: 9,
      concurrency: 4,
      kinds: [
        'kill-leader',
        'kill-node',
        'apiserver-down',
        'cut-api',
        'github-5xx',
        'github-429',
        'drop-webhooks',
        'engine-restart',
        ...(backend === 'eci' ? ECI_FAULT_KINDS : []),
      ],
      backend,
      gapMs: [3_000, 8_000],
      downMs: [5_000, 5_000],
      dropMs: [5_000, 10_000],
      deadlineMs: 420_000,
      kubeconfig: env.kubeconfig,
      dockerHost: env.engine.dockerHost,
      images: env.engine.images,
      log: (msg) => process.stderr.write(`[chaos] ${msg}\n`),
    });
    for (const r of slowestRecoveries(report)) process.stderr.write(`[chaos] slowest recovery: ${r}\n`);
    process.stderr.write(`${chaosLine(report)}\n`);
    expect(report.details.wrong).toEqual([]);
    expect(report.details.orphans).toEqual([]);
    expect(report.details.leaks).toEqual([]);
    expect(report.lines).toBe(0);
    expect(report.jobs).toBe(12);
    expect(report.faults).toBeGreaterThanOrEqual(4);
    // The bound (R ≤ 30) is the full run's; here, among the other suites on a small CI machine, a recovery
    // twice the usual (seed 19: 14 s) still passes, one that hangs does not.
    expect(report.worstRecoveryS).toBeLessThanOrEqual(45);
  });
});
