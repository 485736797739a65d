/**
 * The controller on a virtual node with `--backend eci`, against the ECI emulator (whose container groups run on
 * Podman): a 20-step container job — script steps in the job container and `docker://` steps in a step container —
 * runs through the in-pod step agents and makes not one ExecContainerCommand call. ECI allows 500 of those per
 * minute per account; a transport that spent one per step would cap the whole fleet at 500 steps a minute.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { startEmulatorOnEngine } from '../eci-emulator/on-engine.js';
import type { EciEmulator } from '../eci-emulator/server.js';
import type { StandInStep } from '../github-emulator/state.js';
import { ControllerStack } from '../harness/controller-stack.js';
import { readTestEnv } from '../harness/env.js';
import { startTestNode, stopTestNode, type TestNode } from '../harness/test-node.js';
import { until } from '../harness/until.js';

jest.setTimeout(300_000);

const REPO = 'octo-org/eci';
const SCRIPT_STEPS = 16;
const CONTAINER_STEPS = 4;

describe('controller on --backend eci', () => {
  let emu: EciEmulator | undefined;
  let t: TestNode | undefined;
  let stack: ControllerStack | undefined;

  beforeAll(async () => {
    const env = readTestEnv();
    const started = await startEmulatorOnEngine({
      dockerHost: env.engine.dockerHost,
      infraImage: env.engine.images.busybox,
      delays: { scheduleMs: 300, pullMs: 400, cachedPullMs: 100, imageCacheMs: 1_500 },
    });
    emu = started.emu;
    t = await startTestNode('ctrleci', started.nodeArgs, undefined, started.nodeEnv);
    stack = new ControllerStack({ repo: REPO, namespace: t.ns, nodeName: t.nodeName });
    await stack.start();
  });

  afterAll(async () => {
    await stack?.stop();
    await stopTestNode(t);
    await emu?.stop();
  });

  it('runs a 20-step container job through the agents with 0 ExecContainerCommand calls', async () => {
    const { busybox, debian } = readTestEnv().engine.images;
    const steps: StandInStep[] = [
      ...Array.from({ length: SCRIPT_STEPS }, (_, i): StandInStep => ({
        kind: 'script',
        name: `script ${i + 1}`,
        run: `echo "script ${i + 1} of $GITHUB_REPOSITORY in $(pwd)"`,
      })),
      ...Array.from({ length: CONTAINER_STEPS }, (_, i): StandInStep => ({
        kind: 'container',
        name: `container ${i + 1}`,
        image: debian,
        entrypoint: 'node',
        args: `-e console.log(${i + 1}*10,process.cwd())`, // cwd: /github/workspace, a link to the workspace
      })),
    ];
    const workflowText = [
      'name: CI',
      'on: push',
      'jobs:',
      '  twenty:',
      '    runs-on: [self-hosted, eci-virtual]',
      `    container: { image: "${busybox}" }`,
      '    steps:',
      '      - run: "true"',
      `      - uses: docker://${debian}`,
      '',
    ].join('\n');
    const job = await stack!.emulator.queueJob({
      repo: REPO,
      workflowPath: '.github/workflows/ci.yml',
      workflowText,
      name: 'twenty',
      labels: ['self-hosted', 'eci-virtual'],
      message: { container: { image: busybox }, steps },
    });
    await until(async () => expect(stack!.emulator.state.jobs.get(job.id)!.status).toBe('completed'), 240_000, 250);
    const done = stack!.emulator.state.jobs.get(job.id)!;
    const logs = done.results.map((r) => `--- ${r.name} = ${r.exitCode}\n${r.log}`).join('\n');
    if (done.conclusion !== 'success') process.stderr.write(`[controller-eci] job failed:\n${logs}\n`);
    expect(done.conclusion).toBe('success');
    expect(done.results.map((r) => [r.name, r.exitCode])).toEqual([
      ['Initialize containers', 0],
      ...steps.map((s) => [s.name, 0]),
    ]);
    for (let i = 1; i <= SCRIPT_STEPS; i++)
      expect(done.results.find((r) => r.name === `script ${i}`)!.log).toBe(`script ${i} of ${REPO} in /__w/eci/eci\n`);
    for (let i = 1; i <= CONTAINER_STEPS; i++)
      expect(done.results.find((r) => r.name === `container ${i}`)!.log).toBe(`${i * 10} /__w/eci/eci\n`);
    // The pod did run on ECI (one container group, created once), and no step — nor prepare_job — spent exec quota.
    expect(emu!.count('CreateContainerGroup', 200)).toBeGreaterThanOrEqual(1);
    expect(emu!.count('ExecContainerCommand')).toBe(0);
  });
});
