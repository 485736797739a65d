/**
 * `services:` under the controller, driven by the runner stand-in as the official runner drives our hooks: the
 * controller builds the pod from the workflow at head_sha, where a service's env is still `${{ secrets.PG }}` and
 * `${{ matrix.mode }}` text; the runner evaluates it and hands it to prepare_job (HookInput `services[].
 * environmentVariables`), which starts the service held by its agent with those values. The service here is
 * "distroless" (a static Go binary alone in its image: no shell, no libc) and echoes its env over TCP, so a step
 * reads what the service really started with. Neither value may appear in the pod spec, events, the service
 * container's log or the controller's log.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { readFileSync } from 'node:fs';
import type { V1Pod } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { heldByAgent, heldDefault } from '@eci-virtual/contract';
import { ControllerStack } from '../harness/controller-stack.js';
import { ENV_ECHO_PORT, ensureEnvEchoImage } from '../harness/env-echo-image.js';
import { readTestEnv } from '../harness/env.js';
import { kubectl } from '../harness/kubectl.js';
import { startTestNode, stopTestNode, type TestNode } from '../harness/test-node.js';
import { until } from '../harness/until.js';

jest.setTimeout(300_000);

const REPO = 'octo-org/services';
const PG = 'pg-Secr3t-4b1d9e77';
const MODE = 'mode-matrix-c0ffee';
const JOB_SECRET = 'job-Secr3t-9a7f21';

/** The workflow as the controller reads it: every value to hide is an expression there. */
const workflow = (container: string, service: string) =>
  [
    'name: CI',
    'on: push',
    'jobs:',
    '  svc:',
    '    runs-on: [self-hosted, eci-virtual]',
    '    name: services', // a fixed name: the matrix value must not reach the pod as part of the job's name
    `    strategy: { matrix: { mode: ["${MODE}"] } }`,
    `    container: { image: "${container}", env: { JOB_SECRET: "\${{ secrets.J }}" } }`,
    '    services:',
    '      echo:',
    `        image: "${service}"`,
    '        env: { POSTGRES_PASSWORD: "${{ secrets.PG }}", MODE: "${{ matrix.mode }}" }',
    '    steps:',
    '      - run: "true"',
    '',
  ].join('\n');

describe('controller services', () => {
  let t: TestNode | undefined;
  let stack: ControllerStack | undefined;
  let envEcho = '';

  beforeAll(async () => {
    envEcho = await ensureEnvEchoImage((m) => process.stderr.write(`[services] ${m}\n`));
    t = await startTestNode('svc');
    stack = new ControllerStack({ repo: REPO, namespace: t.ns, nodeName: t.nodeName });
    await stack.start();
  });

  afterAll(async () => {
    await stack?.stop();
    await stopTestNode(t);
  });

  it("starts a distroless service held by its agent with the runner's evaluated env, and leaks none of it", async () => {
    const busybox = readTestEnv().engine.images.busybox;
    const job = await stack!.emulator.queueJob({
      repo: REPO,
      workflowPath: '.github/workflows/ci.yml',
      workflowText: workflow(busybox, envEcho),
      name: 'services',
      labels: ['self-hosted', 'eci-virtual'],
      // What the runner hands the hooks once it has evaluated the job: secrets and matrix values filled in.
      message: {
        container: { image: busybox, env: { JOB_SECRET } },
        services: [{ name: 'echo', image: envEcho, env: { POSTGRES_PASSWORD: PG, MODE } }],
        steps: [
          {
            kind: 'script',
            name: 'service env',
            run: `nc 127.0.0.1 ${ENV_ECHO_PORT} </dev/null | grep -E '^(POSTGRES_PASSWORD|MODE|GITHUB_ACTIONS|CI)='`,
          },
          { kind: 'script', name: 'job env', run: 'echo "JOB_SECRET=$JOB_SECRET"' },
          { kind: 'script', name: 'hold', run: 'sleep 15' },
        ],
      },
    });
    const ns = t!.ns;
    const pod = `eci-job-${job.id}`;
    const results = () => stack!.emulator.state.jobs.get(job.id)!.results;
    // Look at everything while the pod still exists (during `hold`).
    await until(async () => expect(results().map((r) => r.name)).toContain('job env'), 180_000, 200);
    const [podYaml, events, serviceLog] = await Promise.all([
      kubectl(['-n', ns, 'get', 'pod', pod, '-o', 'yaml']),
      kubectl(['-n', ns, 'get', 'events', '-o', 'yaml']),
      kubectl(['-n', ns, 'logs', pod, '-c', 'svc-echo']),
    ]);
    await until(async () => expect(stack!.emulator.state.jobs.get(job.id)!.status).toBe('completed'), 120_000, 200);
    const done = stack!.emulator.state.jobs.get(job.id)!;
    process.stderr.write(
      `[services] job ${job.id} ${done.conclusion}:\n${done.results.map((r) => `--- ${r.name} = ${r.exitCode}\n${r.log}`).join('\n')}\n`,
    );
    expect(done.results.map((r) => [r.name, r.exitCode])).toEqual([
      ['Initialize containers', 0],
      ['service env', 0],
      ['job env', 0],
      ['hold', 0],
    ]);
    const log = (name: string) => done.results.find((r) => r.name === name)!.log;
    // The service started with the evaluated values, plus what docker create adds for the runner.
    expect(log('service env')).toBe(`CI=true\nGITHUB_ACTIONS=true\nMODE=${MODE}\nPOSTGRES_PASSWORD=${PG}\n`);
    expect(log('job env')).toBe(`JOB_SECRET=${JOB_SECRET}\n`);

    expect(podYaml.code).toBe(0);
    // Held by its agent, with the image's ENTRYPOINT after `--` and its CMD as args (read from the registry).
    const svc = (parse(podYaml.stdout) as V1Pod).spec!.containers.find((c) => c.name === 'svc-echo')!;
    expect(heldByAgent(svc)).toBe(true);
    expect(heldDefault(svc)).toEqual({ entrypoint: ['/env-echo'], cmd: ['-port', String(ENV_ECHO_PORT)] });
    expect(svc.env).toBeUndefined();
    expect(serviceLog.stdout).toContain('main process started');
    expect(serviceLog.stdout).toContain(`env-echo listening on ${ENV_ECHO_PORT}`);
    const controllerLog = readFileSync(stack!.logFile, 'utf8');
    // (The stand-in reports prepare_job's response file as that step's log; the runner reads the file without
    // printing it — ContainerHookManager.GetResponse — and keeps `state`, with the job container's env, in memory.)
    for (const [where, text] of [
      ['kubectl get pod -o yaml', podYaml.stdout],
      ['kubectl get events -o yaml', events.stdout],
      ['the service container log', serviceLog.stdout],
      ['the controller log', controllerLog],
    ] as const)
      for (const value of [PG, MODE, JOB_SECRET])
        expect(`${where}: ${text.includes(value) ? `contains ${value}` : 'clean'}`).toBe(`${where}: clean`);
    // The controller read the service image's config: no plan problem.
    expect(controllerLog).not.toContain('cannot read the config');
  });
});
