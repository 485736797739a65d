/**
 * `eci-virtual run` on a virtual node with `--backend eci`, against the ECI emulator (container groups on Podman):
 * a 20-step job reaches its steps through the pod's step agent over ONE exec running `eci-agent dial`, so it costs
 * exactly one `ExecContainerCommand` (ECI allows 500 a minute per account) instead of one per step.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { bundlePath } from '../../scripts/lib/node-process.js';
import { repoRoot } from '../../scripts/lib/paths.js';
import { startEmulatorOnEngine } from '../eci-emulator/on-engine.js';
import type { EciEmulator } from '../eci-emulator/server.js';
import { readTestEnv } from '../harness/env.js';
import { startTestNode, stopTestNode, type TestNode } from '../harness/test-node.js';

jest.setTimeout(240_000);

interface Event {
  event: string;
  [k: string]: unknown;
}

describe('eci-virtual run on --backend eci', () => {
  let emu: EciEmulator | undefined;
  let t: TestNode | undefined;

  beforeAll(async () => {
    const env = readTestEnv();
    const started = await startEmulatorOnEngine({
      dockerHost: env.engine.dockerHost,
      infraImage: env.engine.images.busybox,
      delays: { scheduleMs: 300, pullMs: 400, cachedPullMs: 100, imageCacheMs: 1_500 },
    });
    emu = started.emu;
    t = await startTestNode('runeci', started.nodeArgs, undefined, started.nodeEnv);
  });

  afterAll(async () => {
    await stopTestNode(t);
    await emu?.stop();
  });

  function run(workflow: string): Promise<{ code: number | null; events: Event[]; stderr: string }> {
    const env = readTestEnv();
    return new Promise((resolve) => {
      const child = spawn(
        process.execPath,
        [
          bundlePath,
          'run',
          join('runner/test/workflows', workflow),
          '--json',
          '--namespace',
          t!.ns,
          '--node',
          t!.nodeName,
        ],
        {
          cwd: repoRoot,
          env: {
            ...process.env,
            KUBECONFIG: env.kubeconfig,
            ECI_VIRTUAL_DEFAULT_IMAGE: env.engine.images.busybox,
            ECI_VIRTUAL_AGENT_IMAGE: env.engine.images.agent,
          },
        },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('close', (code) =>
        resolve({
          code,
          stderr,
          events: stdout
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as Event),
        }),
      );
    });
  }

  it('runs a 20-step job with exactly one ExecContainerCommand', async () => {
    const before = emu!.count('ExecContainerCommand');
    const r = await run('twenty-steps.yml');
    const steps = r.events.filter((e) => e.event === 'step.finished') as unknown as {
      conclusion: string;
      execs: number;
    }[];
    const lines = r.events.filter((e) => e.event === 'step.output').map((e) => String(e.line));
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(steps).toHaveLength(20);
    expect(steps.every((s) => s.conclusion === 'success')).toBe(true);
    expect(lines).toEqual([...Array.from({ length: 19 }, (_, i) => `step ${i + 1}`), 'step 20 after 19']);
    expect(emu!.count('ExecContainerCommand') - before).toBe(1);
    // The stream opened for the job's setup (event payload) carries every step.
    const setupExecs = r.events.filter((e) => e.event === 'job.finished').map((e) => e.setupExecs);
    expect(steps.reduce((n, s) => n + s.execs, 0) + Number(setupExecs[0])).toBe(1);
  });
});
