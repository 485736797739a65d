/**
 * The fleet simulation, CI-sized (issue #20; `yarn bench fleet` runs it at 100 and 1,000 jobs): 30 jobs through the
 * GitHub emulator, two controller replicas, a virtual node on `--backend eci` and the ECI emulator with a simulated
 * runtime (no containers) and simulated runners. Every job must get its container group and complete, with no
 * throttled ECI answer and one group per job (a runner removed under a launch in flight costs a second group).
 */
import { describe, expect, it, jest } from '@jest/globals';
import { formatFleetLine, runFleet } from '../fleet/fleet-run.js';
import { readTestEnv } from '../harness/env.js';
import { testClients } from '../harness/kube.js';

jest.setTimeout(180_000);

describe('fleet simulation', () => {
  it('creates one group per job within the ECI quota and completes every job', async () => {
    const r = await runFleet({
      jobs: 30,
      kube: testClients(),
      kubeconfig: readTestEnv().kubeconfig,
      jobMs: 1_000,
      startDelays: { p50Ms: 1_000, p95Ms: 3_000 },
      timeoutMs: 120_000,
    });
    process.stdout.write(`${formatFleetLine(r)}\n`);
    expect(r.runnerErrors).toEqual([]);
    expect(r.runnersRefused).toEqual({});
    expect(r.completed).toBe(30);
    // One group per job, plus at most a few runners the controller adds when fewer runners are available than jobs
    // queued (jobs/job-slots.ts): a just-launched pod can be counted late under load (34 of 30 seen once in CI). Up to 20 %
    // extra is allowed; tightening it is open (#20).
    expect(r.groupsCreated).toBeGreaterThanOrEqual(30);
    expect(r.groupsCreated).toBeLessThanOrEqual(36);
    expect(r.throttled).toBe(0);
    // No webhook is lost here, so no job may wait for the poller (every 30 s, the safety net for lost webhooks) to
    // get a runner: a slot counted as "on its way" after its pod was gone once stranded a job until the next round.
    expect(r.allCreatedSeconds).toBeLessThan(30);
  });
});
