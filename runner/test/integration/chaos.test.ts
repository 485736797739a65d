/**
 * The CI-sized chaos run (issue #19; `yarn chaos` is the full one): a dozen seeded jobs of mixed shapes through two
 * controller replicas and the virtual node while a seeded injector kills the leader and the node, stops the API
 * server for 5 s, cuts API connections, makes GitHub answer 5xx and 429 and drop webhooks, and restarts the engine's
 * API service. Every job must end as its script determines, every printed line must reach GitHub once, nothing may
 * be left behind and no seeded secret may show up anywhere.
 *
 * Off unless ECI_VIRTUAL_CHAOS=1 for now. On the code of 2026-12-06 seeds 19 and 7 give 0 wrong results, 0 lost or
 * repeated lines, 0 orphans and 0 leaked secrets (they gave 7 wrong results, 6 orphans before), but the worst
 * recovery is not reliably ≤ 30 s: seed 19 gave 29.0 s, then 60.6 s — its last job's pod, created as kube-apiserver
 * came back, was bound to the node only ~58 s later (the node's "pod created in backend" log: seen 58497 ms after
 * creation, created in 429 ms; a freshly restarted node saw it no sooner), i.e. the cluster's scheduler (or the
 * node's readiness) recovering from the restart. It goes into `yarn test` once that is explained and fixed.
 */
import { describe, expect, it, jest } from '@jest/globals';
import { readTestEnv } from '../harness/env.js';
import { chaosLine, runChaos, slowestRecoveries } from '../chaos/run.js';

jest.setTimeout(900_000);

const SEED = Number(process.env.ECI_VIRTUAL_CHAOS_SEED ?? 19);

const enabled = process.env.ECI_VIRTUAL_CHAOS === '1';

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
      ],
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
    expect(report.worstRecoveryS).toBeLessThanOrEqual(30);
  });
});
