/**
 * Hook steps through a real step agent (built by runner/scripts/lib/agent-build.ts, run locally as in a pod): the
 * argv, env and PATH the runner's inputs become, pwsh's quoted template, cancel by the runner's signals, and
 * prepare_job's wait for agents that never answer.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { POD_FACTS_ENV } from '@eci-virtual/contract';
import { ensureAgent } from '../../scripts/lib/agent-build.js';
import { AgentClient } from '../step-transport/agent/client.js';
import { startLocalAgent, type LocalAgent } from '../step-transport/agent/local-agent.js';
import type { HookContext } from './hook-context.js';
import { reachableSocket } from './hook-context.js';
import { ensureWorkspaceDir, runHookStep } from './hook-step.js';
import { waitForAgents } from './prepare-job.js';
import { parseScriptStepArgs, type HookState } from './protocol.js';
import { scriptStep } from './run-script-step.js';

let tmp: string;
let agent: LocalAgent;
const IMAGE_PATH = '/usr/local/bin:/usr/bin:/bin';

beforeAll(async () => {
  tmp = mkdtempSync('/tmp/eci-hook-step-');
  agent = await startLocalAgent({
    binary: await ensureAgent(),
    dir: join(tmp, 'a'),
    env: { PATH: IMAGE_PATH, FROM_IMAGE: 'image-env' },
  });
}, 180_000);

afterAll(async () => {
  if (agent) await agent.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

function context(signals = new EventEmitter()): { ctx: HookContext; output: () => string } {
  let out = '';
  const ctx = {
    kube: () => Promise.reject(new Error('a step through the agent needs no API server')),
    exec: () => Promise.reject(new Error('a step through the agent must not exec')),
    pod: { namespace: 'ns', name: 'pod' },
    workDir: join(tmp, 'work'),
    agent: (container: string) =>
      container === 'job'
        ? agent.client()
        : new AgentClient({ socketPath: join(tmp, 'nobody-here.sock'), token: agent.token }),
    out: (c: Buffer | string) => (out += c.toString()),
    signals,
  } as unknown as HookContext;
  return { ctx, output: () => out };
}

const state: HookState = { pod: { namespace: 'ns', name: 'pod' }, services: [], jobContainer: 'job', facts: '{"x":1}' };

/** A run_script_step as the runner sends it: entryPointArgs split on single spaces (ContainerHookManager.cs). */
function scriptArgs(o: { entryPoint: string; template: string; prependPath?: unknown; env?: Record<string, string> }) {
  return parseScriptStepArgs({
    entryPoint: o.entryPoint,
    entryPointArgs: o.template.split(' '),
    environmentVariables: o.env ?? {},
    prependPath: o.prependPath,
    workingDirectory: tmp,
  });
}

async function runScript(args: ReturnType<typeof scriptArgs>) {
  const { ctx, output } = context();
  const code = await runHookStep(ctx, { container: 'job', agent: true }, scriptStep(state, args));
  return { code, out: output() };
}

describe('run_script_step through the agent', () => {
  it("gives the step the runner's env on top of the container's, the pod facts, and its exit code", async () => {
    const file = join(tmp, 'env.sh');
    writeFileSync(file, `echo "$STEP_VAR|$FROM_IMAGE|$${POD_FACTS_ENV}|$(pwd)|$GITHUB_ACTIONS|$CI"; exit 3\n`);
    const r = await runScript(scriptArgs({ entryPoint: 'sh', template: `-e ${file}`, env: { STEP_VAR: 'a b' } }));
    expect(r).toEqual({ code: 3, out: `a b|image-env|{"x":1}|${tmp}|true|true\n` });
    // The runner's ProcessInvoker keeps a CI the step sets.
    const own = await runScript(scriptArgs({ entryPoint: 'sh', template: `-e ${file}`, env: { CI: 'false' } }));
    expect(own.out).toMatch(/\|true\|false\n$/);
  });

  it("puts the job container's evaluated env (prepare_job's state) under the step's, as docker create -e would", async () => {
    const file = join(tmp, 'job-env.sh');
    writeFileSync(file, 'echo "$FROM_CONTAINER|$BOTH|$FROM_IMAGE"\n');
    const { ctx, output } = context();
    const withJobEnv: HookState = { ...state, jobEnv: { FROM_CONTAINER: 'c-value', BOTH: 'container' } };
    const args = scriptArgs({ entryPoint: 'sh', template: `-e ${file}`, env: { BOTH: 'step' } });
    expect(await runHookStep(ctx, { container: 'job', agent: true }, scriptStep(withJobEnv, args))).toBe(0);
    expect(output()).toBe('c-value|step|image-env\n');
  });

  it('puts prependPath in the runner order (newest first) in front of the image PATH, as array or string', async () => {
    const file = join(tmp, 'path.sh');
    writeFileSync(file, 'echo "$PATH"\n');
    const asArray = await runScript(
      scriptArgs({ entryPoint: 'sh', template: `-e ${file}`, prependPath: ['/opt/tool-2/bin', '/opt/tool-1/bin'] }),
    );
    expect(asArray.out).toBe(`/opt/tool-2/bin:/opt/tool-1/bin:${IMAGE_PATH}\n`);
    const asString = await runScript(
      scriptArgs({ entryPoint: 'sh', template: `-e ${file}`, prependPath: '/opt/tool-2/bin:/opt/tool-1/bin' }),
    );
    expect(asString.out).toBe(asArray.out);
  });

  it('runs a pwsh-style quoted template: the script is run, not its path printed', async () => {
    // A stand-in `pwsh` found through prependPath: prints its argv, then runs `-command`'s text as pwsh would.
    const bin = join(tmp, 'pwsh-bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(
      join(bin, 'pwsh'),
      '#!/bin/sh\nfor a in "$@"; do echo "arg<$a>"; done\n[ "$1" = -command ] && eval "$2"\n',
      {
        mode: 0o755,
      },
    );
    const script = join(tmp, 'script.ps1');
    writeFileSync(script, 'echo ran the script\n');
    const r = await runScript(
      scriptArgs({ entryPoint: 'pwsh', template: `-command ". '${script}'"`, prependPath: [bin] }),
    );
    expect(r.out).toBe(`arg<-command>\narg<. '${script}'>\nran the script\n`);
    expect(r.code).toBe(0);
  });
});

describe('workspace directories', () => {
  it('creates /__w paths under the work folder, and nothing outside it', () => {
    const work = join(tmp, 'wd');
    ensureWorkspaceDir(work, '/__w/repo/repo');
    expect(existsSync(join(work, 'repo', 'repo'))).toBe(true);
    ensureWorkspaceDir(work, '/__w/../escaped');
    ensureWorkspaceDir(work, '/__wx/other');
    ensureWorkspaceDir(work, '/opt/elsewhere');
    expect(existsSync(join(tmp, 'escaped'))).toBe(false);
    expect(existsSync(join(work, 'x'))).toBe(false);
  });
});

describe('cancel', () => {
  it('on SIGINT from the runner, cancels the step and its background child and exits with its result', async () => {
    const pids = join(tmp, 'pids');
    const file = join(tmp, 'long.sh');
    writeFileSync(file, `sleep 301 & echo $! > ${pids}; echo $$ >> ${pids}; sleep 300\n`);
    const signals = new EventEmitter();
    const { ctx, output } = context(signals);
    const running = runHookStep(
      ctx,
      { container: 'job', agent: true },
      scriptStep(state, scriptArgs({ entryPoint: 'sh', template: `-e ${file}` })),
    );
    while (!existsSync(pids) || readFileSync(pids, 'utf8').trim().split('\n').length < 2) await sleep(10);
    const started = Date.now();
    signals.emit('SIGINT', 'SIGINT');
    signals.emit('SIGTERM', 'SIGTERM'); // the runner's second signal changes nothing
    expect(await running).toBe(143);
    expect(Date.now() - started).toBeLessThan(3_000); // sleep dies on SIGTERM: no need to wait for the SIGKILL
    for (const pid of readFileSync(pids, 'utf8').trim().split('\n').map(Number))
      expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    expect(signals.listenerCount('SIGINT')).toBe(0);
    expect(output()).toBe('');
  });
});

describe('prepare_job', () => {
  it('waits for every agent and names the one that never answered', async () => {
    const { ctx } = context();
    await waitForAgents(ctx, ['job'], 1_000);
    await expect(waitForAgents(ctx, ['job', 'step-0'], 300)).rejects.toThrow(
      /the step agent of container "step-0" did not answer within 0.3 s \(.*step-0\.sock: no status\)/,
    );
  });

  it('reaches a socket whose path is too long for a unix address through a short link', () => {
    const long = `/${'x'.repeat(120)}/job.sock`;
    const link = reachableSocket(long, tmp);
    expect(link.length).toBeLessThanOrEqual(107);
    expect(readlinkSync(link)).toBe(long);
    expect(reachableSocket('/short/job.sock', tmp)).toBe('/short/job.sock');
  });
});
