/**
 * The step transport against the real path: client-node exec → API server → our kubelet API → engine. One exec per
 * step, durable output, and the fault case: the virtual node process is killed mid-step and restarted; the step
 * still completes with every line exactly once and its true exit code. Then the same over the agent path that
 * `eci-virtual run` takes when the pod has the step agent: every step over ONE exec running `eci-agent dial`, and
 * the same fault resumed on a new exec.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { CONTAINER, PATHS } from '@eci-virtual/contract';
import { buildJobPod } from '../../src/pod-assembly/pod-builder.js';
import { AgentClient } from '../../src/step-transport/agent/client.js';
import { runAgentStep } from '../../src/step-transport/agent-step.js';
import { ExecDial } from '../../src/step-transport/exec-dial.js';
import { stepWrapper } from '../../src/step-transport/step-script.js';
import { runStep, type StepTarget } from '../../src/step-transport/step-runner.js';
import { waitForRunning } from '../../src/local-run/pod-waiter.js';
import type { KubeClients } from '../../src/kube/client.js';
import { KubeExec } from '../../src/kube/exec.js';
import { NodeProcess } from '../../scripts/lib/node-process.js';
import { startTestNode, stopTestNode, type TestNode } from '../harness/test-node.js';
import { readTestEnv } from '../harness/env.js';

jest.setTimeout(180_000);

describe('step transport (one exec per step, durable logs)', () => {
  let kube: KubeClients;
  let ns: string;
  let node: NodeProcess;
  let exec: KubeExec;
  let nodeName: string;
  let t: TestNode | undefined;
  const podName = 'job';
  const agentPodName = 'agent-job';
  let n = 0;
  const target = (): StepTarget => ({
    pod: { namespace: ns, name: podName },
    container: CONTAINER.job,
    dir: `${PATHS.steps}/${n++}`,
  });
  const wrapper = (dir: string, script: string) =>
    stepWrapper({
      dir,
      script,
      shell: 'bash',
      env: [['STEP_VAR', 'step value']],
      workingDirectory: PATHS.workspace,
      path: [],
    });

  beforeAll(async () => {
    const env = readTestEnv();
    t = await startTestNode('steps');
    ({ kube, ns, node, nodeName } = t);
    exec = new KubeExec(kube);
    const pod = buildJobPod({
      name: podName,
      namespace: ns,
      runId: '1',
      jobId: 'build',
      jobImage: env.engine.images.debian,
      sharedEnv: [
        ['SHARED_VAR', 'from the annotation'],
        ['GITHUB_WORKSPACE', `${PATHS.workspace}/repo/repo`],
      ],
      placement: 'virtual',
      nodeName,
    });
    await kube.core.createNamespacedPod({ namespace: ns, body: pod });
    // The same job pod with the step agent (init container + the job container serving it).
    await kube.core.createNamespacedPod({
      namespace: ns,
      body: buildJobPod({
        name: agentPodName,
        namespace: ns,
        runId: '1',
        jobId: 'build',
        jobImage: env.engine.images.debian,
        sharedEnv: [
          ['SHARED_VAR', 'from the annotation'],
          ['GITHUB_WORKSPACE', `${PATHS.workspace}/repo/repo`],
        ],
        placement: 'virtual',
        nodeName,
        agentImage: env.engine.images.agent,
      }),
    });
    await waitForRunning(kube, ns, podName, { timeoutMs: 60_000 });
    await waitForRunning(kube, ns, agentPodName, { timeoutMs: 60_000 });
  });

  afterAll(() => stopTestNode(t));

  it('runs a step with one exec: output, shared and step env, GITHUB_OUTPUT and the exit code', async () => {
    const t = target();
    let output = '';
    const res = await runStep(exec, t, {
      wrapper: wrapper(
        t.dir,
        'echo "$SHARED_VAR / $STEP_VAR"\necho "result=42" >> "$GITHUB_OUTPUT"\necho oops >&2\nexit 7',
      ),
      onOutput: (c) => (output += c.toString()),
    });
    expect(output).toBe('from the annotation / step value\noops\n');
    expect(res).toMatchObject({ exitCode: 7, execs: 1, files: { output: 'result=42\n' } });
  });

  it('keeps a failing step red with `set -eo pipefail` semantics of bash', async () => {
    const t = target();
    const res = await runStep(exec, t, {
      wrapper: wrapper(t.dir, 'false | true\necho never'),
      onOutput: () => undefined,
    });
    expect(res.exitCode).toBe(1);
  });

  it('survives the virtual node being killed mid-step: full output once, true exit code', async () => {
    const t = target();
    const lines: string[] = [];
    let buffer = '';
    const running = runStep(exec, t, {
      wrapper: wrapper(t.dir, 'for i in $(seq 1 8); do echo "line $i"; sleep 0.5; done\nexit 5'),
      onOutput: (c) => {
        buffer += c.toString();
        const parts = buffer.split('\n');
        buffer = parts.pop() ?? '';
        lines.push(...parts);
      },
      maxReconnects: 12,
    });
    await sleep(1_500);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThan(8);
    await node.kill();
    await sleep(500);
    node.start();
    const res = await running;
    expect(lines).toEqual(['line 1', 'line 2', 'line 3', 'line 4', 'line 5', 'line 6', 'line 7', 'line 8']);
    expect(res.exitCode).toBe(5);
    expect(res.execs).toBeGreaterThan(1);
  });
  describe('over the agent: one exec running `eci-agent dial`', () => {
    let dial: ExecDial;
    let agent: AgentClient;
    let id = 0;

    beforeAll(async () => {
      dial = new ExecDial(exec, { pod: { namespace: ns, name: agentPodName }, container: CONTAINER.job });
      const { token } = await dial.open();
      agent = new AgentClient({ connect: dial.connect, endpointName: dial.name, token, maxReconnects: 12 });
    });

    afterAll(() => {
      agent?.close();
      dial?.close();
    });

    const agentStep = (script: string, onOutput: (c: Buffer) => void) => {
      const dir = `${PATHS.steps}/agent-${++id}`;
      return runAgentStep(agent, { id: `step-${id}`, dir, wrapper: wrapper(dir, script), onOutput });
    };

    it('runs 20 steps (output, shared and step env, GITHUB_OUTPUT, exit codes) over one exec', async () => {
      for (let i = 0; i < 20; i++) {
        let output = '';
        const res = await agentStep(
          `echo "$SHARED_VAR / $STEP_VAR / ${i}"\necho "n=${i}" >> "$GITHUB_OUTPUT"\nexit ${i % 2}`,
          (c) => (output += c.toString()),
        );
        expect(output).toBe(`from the annotation / step value / ${i}\n`);
        expect(res).toMatchObject({ exitCode: i % 2, files: { output: `n=${i}\n` } });
      }
      expect(dial.execs).toBe(1);
    });

    it('survives the virtual node being killed mid-step: full output once, true exit code, a new exec', async () => {
      const execsBefore = dial.execs;
      const lines: string[] = [];
      let buffer = '';
      const running = agentStep('for i in $(seq 1 8); do echo "line $i"; sleep 0.5; done\nexit 5', (c) => {
        buffer += c.toString();
        const parts = buffer.split('\n');
        buffer = parts.pop() ?? '';
        lines.push(...parts);
      });
      await sleep(1_500);
      expect(lines.length).toBeGreaterThan(0);
      expect(lines.length).toBeLessThan(8);
      await node.kill();
      await sleep(500);
      node.start();
      const res = await running;
      expect(lines).toEqual(['line 1', 'line 2', 'line 3', 'line 4', 'line 5', 'line 6', 'line 7', 'line 8']);
      expect(res.exitCode).toBe(5);
      expect(dial.execs).toBeGreaterThan(execsBefore);
    });
  });
});
