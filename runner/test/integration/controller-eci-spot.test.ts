/**
 * Spot first, safely — the controller on a virtual node with `--backend eci`, against the ECI emulator (groups run on
 * Podman) and the GitHub emulator, for a repository whose `.github/eci-virtual.yml` says `placement.spot: prefer`:
 *
 *   (a) ECI has no spot stock (`OperationDenied.NoStock`): the node creates the same pod's group pay-as-you-go within
 *       seconds, the job ends green and its record says it fell back;
 *   (b) ECI reclaims the spot group mid-job (`SpotToBeReleased`, then Expired) and GitHub fails the job when its
 *       runner is lost: the controller re-runs it exactly once, the re-run (pay-as-you-go) ends green, and both
 *       attempts are in the job's record.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { JobRecord, JobsResponse } from '@eci-virtual/contract';
import { startEmulatorOnEngine } from '../eci-emulator/on-engine.js';
import type { EciEmulator } from '../eci-emulator/server.js';
import type { EmuJob, StandInStep } from '../github-emulator/state.js';
import { ControllerStack } from '../harness/controller-stack.js';
import { readTestEnv } from '../harness/env.js';
import { startTestNode, stopTestNode, type TestNode } from '../harness/test-node.js';
import { until } from '../harness/until.js';

jest.setTimeout(400_000);

const REPO = 'octo-org/spot';
const SETTINGS = 'placement:\n  spot: prefer\n  spotPriceLimit: 0.05\n';

describe('controller on --backend eci: spot first, safely', () => {
  let emu: EciEmulator | undefined;
  let t: TestNode | undefined;
  let stack: ControllerStack | undefined;

  beforeAll(async () => {
    const env = readTestEnv();
    const started = await startEmulatorOnEngine({
      dockerHost: env.engine.dockerHost,
      infraImage: env.engine.images.busybox,
      delays: { scheduleMs: 300, pullMs: 400, cachedPullMs: 100, imageCacheMs: 1_500, spotNoticeMs: 2_000 },
    });
    emu = started.emu;
    t = await startTestNode('ctrlspot', started.nodeArgs, undefined, started.nodeEnv);
    stack = new ControllerStack({ repo: REPO, namespace: t.ns, nodeName: t.nodeName });
    await stack.start();
  });

  afterAll(async () => {
    await stack?.stop();
    await stopTestNode(t);
    await emu?.stop();
  });

  const queue = (name: string, steps: StandInStep[]) => {
    const { busybox } = readTestEnv().engine.images;
    return stack!.emulator.queueJob({
      repo: REPO,
      workflowPath: '.github/workflows/ci.yml',
      workflowText: [
        'name: CI',
        'on: push',
        'jobs:',
        `  ${name}:`,
        '    runs-on: [self-hosted, eci-virtual]',
        `    container: { image: "${busybox}" }`,
        '    steps:',
        '      - run: "true"',
        '',
      ].join('\n'),
      files: { '.github/eci-virtual.yml': SETTINGS },
      name,
      labels: ['self-hosted', 'eci-virtual'],
      message: { container: { image: busybox }, steps },
    });
  };
  const job = (id: number): EmuJob => stack!.emulator.state.jobs.get(id)!;
  const completed = (id: number, timeoutMs = 240_000) =>
    until(async () => expect(job(id).status).toBe('completed'), timeoutMs, 250);
  const record = async (id: number): Promise<JobRecord | undefined> => {
    const body = (await (await stack!.portal(`/v1/jobs?repo=${REPO}`)).json()) as JobsResponse;
    return body.jobs.find((j) => j.id === String(id));
  };
  const creates = () => emu!.calls.filter((c) => c.action === 'CreateContainerGroup');

  it('(a) no spot stock: the same pod is created pay-as-you-go within seconds and the job is green', async () => {
    emu!.refuseSpot(1);
    const before = creates().length;
    const j = await queue('fallback', [{ kind: 'script', name: 'hello', run: 'echo hello from pay-as-you-go' }]);
    await completed(j.id);
    expect(job(j.id).conclusion).toBe('success');
    const calls = creates().slice(before);
    expect(calls.map((c) => [c.status, c.code ?? '', c.params.SpotStrategy ?? 'NoSpot'])).toEqual([
      [403, 'OperationDenied.NoStock', 'SpotWithPriceLimit'],
      [200, '', 'NoSpot'],
    ]);
    expect(calls[0]!.params.SpotPriceLimit).toBe('0.05');
    expect(calls[1]!.params.ContainerGroupName).toBe(calls[0]!.params.ContainerGroupName); // the same pod's group
    const fallbackMs = calls[1]!.at - calls[0]!.at;
    process.stderr.write(`[controller-eci-spot] spot refused → pay-as-you-go group created in ${fallbackMs} ms\n`);
    expect(fallbackMs).toBeLessThan(5_000);
    const r = await until(async () => {
      const rec = await record(j.id);
      expect(rec?.spot).toMatchObject({ preferred: true, fellBack: true });
      return rec!;
    }, 30_000);
    expect(r.events.map((e) => e.reason)).toContain('SpotFallback');
    expect(r.spotAttempts).toBeUndefined();
  });

  it('(b) spot reclaimed: the job is re-run once and ends green, both attempts in its record', async () => {
    const before = creates().length;
    const j = await queue('reclaimed', [{ kind: 'script', name: 'work', run: 'echo working; sleep 15; echo done' }]);
    // The job runs on a spot group.
    await until(async () => expect(job(j.id).status).toBe('in_progress'), 120_000, 250);
    const first = await until(async () => {
      const c = creates()
        .slice(before)
        .find((x) => x.status === 200);
      expect(c?.params.SpotStrategy).toBe('SpotWithPriceLimit');
      const g = emu!.groups.all().find((x) => x.meta.name === c!.params.ContainerGroupName);
      expect(g?.status).toBe('Running');
      return g!;
    }, 60_000);
    // ECI reclaims it: the notice, 2 s of grace, then Expired; the runner dies with the group.
    await emu!.reclaimSpot(first.id);
    expect(first.events.map((e) => e.Reason)).toContain('SpotToBeReleased');
    await until(async () => expect((await record(j.id))?.spot?.reclaimedAt).toBeDefined(), 60_000, 250);
    // GitHub fails the job whose runner it lost.
    await stack!.emulator.runnerLost(j.id);
    const rerun = await until(
      async () => {
        expect(stack!.emulator.reruns.map((r) => r.jobId)).toEqual([j.id]);
        return stack!.emulator.reruns[0]!;
      },
      60_000,
      250,
    );
    const second = job(rerun.newJobId);
    expect(second).toMatchObject({ run_id: j.run_id, run_attempt: 2 });
    await completed(second.id);
    expect(second.conclusion).toBe('success');
    expect(second.results.find((r) => r.name === 'work')).toMatchObject({ exitCode: 0 });
    // The re-run went pay-as-you-go: its group asked for no spot.
    const secondCreate = creates()
      .slice(before)
      .filter((c) => c.status === 200)
      .find((c) => c.params.ContainerGroupName !== first.meta.name);
    expect(secondCreate?.params.SpotStrategy).toBeUndefined();
    // Both attempts are in both records.
    const attempts = [
      expect.objectContaining({ jobId: String(j.id), runAttempt: 1, spot: true, outcome: 'reclaimed' }),
      expect.objectContaining({ jobId: String(second.id), runAttempt: 2, spot: false, outcome: 'succeeded' }),
    ];
    const [r1, r2] = await until(
      async () => {
        const a = await record(j.id);
        const b = await record(second.id);
        expect(a?.spotAttempts).toEqual(attempts);
        expect(b?.spotAttempts).toEqual(attempts);
        return [a!, b!];
      },
      60_000,
      500,
    );
    expect(r1.spot).toMatchObject({
      preferred: true,
      reclaimedAt: expect.any(String),
      rerunRequestedAt: expect.any(String),
    });
    expect(r1.events.map((e) => e.reason)).toEqual(expect.arrayContaining(['SpotToBeReleased', 'SpotRerun']));
    expect(r2.spot).toMatchObject({ rerunOf: String(j.id) });
    // Never a second re-run.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(stack!.emulator.reruns).toHaveLength(1);
    expect(stack!.emulator.requests.filter((r) => r.path.endsWith('/rerun'))).toHaveLength(1);
  });
});
