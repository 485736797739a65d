/**
 * TEST-ONLY stand-in for the official GitHub Actions runner (which cannot be downloaded here). It does what the
 * runner does around container hooks, with inputs shaped exactly like the runner's (see
 * actions/runner src/Runner.Worker/Container/ContainerHooks): read the JIT config, take a job from the (emulated)
 * broker, call `prepare_job`, write each script to `_work/_temp/<guid>.sh` and call `run_script_step` with
 * `-e /__w/_temp/<guid>.sh`, call `run_container_step` for `docker://` steps, then `cleanup_job`, report the result
 * and exit. Each hook call is a new `node <hooks>/index.js` process with one JSON object on stdin.
 *
 * Step inputs as the runner shapes them: the shell template's argument string split on single spaces
 * (ContainerHookManager.cs RunScriptStepAsync `entryPointArgs.Split(' ')`), so pwsh's `-command ". '{0}'"` arrives
 * in pieces; `prependPath` as an array newest first, or as one string like runners up to v2.293.0 sent it.
 *
 * Cancel and `timeout-minutes` as the runner does them: a job cancel (the runner's JobCancelMessage; here polled
 * from the emulated broker) or a step's timeout stops the running hook process the way ProcessInvoker stops any
 * process — SIGINT, SIGTERM 7.5 s later, a kill 2.5 s after that (actions/runner src/Runner.Sdk/ProcessInvoker.cs
 * CancelAndKillProcessTree, `_sigintTimeout`/`_sigtermTimeout`; hooks run through ScriptHandler with
 * `killProcessOnCancel: false`, src/Runner.Worker/Handlers/ScriptHandler.cs). After a failure or a cancel only
 * `always` steps run (`if: always()`), then `cleanup_job`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { JobMessage, StandInStep } from '../github-emulator/state.js';

const WORK = process.env.RUNNER_WORK ?? '/home/runner/_work';
const HOOKS = process.env.ACTIONS_RUNNER_CONTAINER_HOOKS ?? '/home/runner/eci-hooks/index.js';

interface Jit {
  runnerId: number;
  runnerName: string;
  brokerUrl: string;
  token: string;
}

function log(msg: string): void {
  process.stdout.write(`[stand-in] ${new Date().toISOString()} ${msg}\n`);
}

/**
 * One broker call, retried on network errors as the real runner does (a pooled keep-alive socket the server has just
 * closed fails the first attempt with "other side closed").
 */
async function broker(jit: Jit, path: string, body?: unknown): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fetch(`${jit.brokerUrl}${path}`, {
        method: 'POST',
        headers: { authorization: `RemoteAuth ${jit.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body ?? {}),
      });
    } catch (err) {
      if (attempt >= 5) throw err;
      log(`broker ${path} failed (${String((err as Error).cause ?? err)}); retrying`);
      await new Promise((r) => setTimeout(r, 200 * attempt));
    }
  }
}

interface HookResult {
  code: number;
  output: string;
  /** Why the stand-in stopped the hook, if it did. */
  stopped?: 'timeout' | 'cancelled';
}

interface StopWhen {
  timeoutMs?: number;
  /** Polled while the hook runs. */
  cancelled?: () => Promise<boolean>;
}

/** ProcessInvoker.cs: SIGINT, wait 7.5 s for the exit; SIGTERM, wait 2.5 s; then kill. */
async function stopLikeTheRunner(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  const gone = (ms: number) => Promise.race([exited.then(() => true), sleep(ms).then(() => false)]);
  for (const [signal, waitMs] of [
    ['SIGINT', 7_500],
    ['SIGTERM', 2_500],
  ] as const) {
    if (child.exitCode !== null || child.signalCode !== null) return;
    log(`sending ${signal} to the hook process ${child.pid}`);
    child.kill(signal);
    if (await gone(waitMs)) return;
  }
  log(`killing the hook process ${child.pid}`);
  child.kill('SIGKILL');
}

function callHook(input: Record<string, unknown>, stop: StopWhen = {}): Promise<HookResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HOOKS], { stdio: ['pipe', 'pipe', 'pipe'] });
    const exited = new Promise((r) => child.once('exit', r));
    let stopped: HookResult['stopped'];
    const halt = (why: NonNullable<HookResult['stopped']>) => {
      if (stopped) return;
      stopped = why;
      void stopLikeTheRunner(child, exited);
    };
    const timer = stop.timeoutMs === undefined ? undefined : setTimeout(() => halt('timeout'), stop.timeoutMs);
    const poll = stop.cancelled
      ? setInterval(
          () =>
            void stop.cancelled!().then(
              (c) => c && halt('cancelled'),
              () => undefined,
            ),
          250,
        )
      : undefined;
    let output = '';
    child.stdout.on('data', (c: Buffer) => {
      output += c.toString();
      process.stdout.write(c);
    });
    child.stderr.on('data', (c: Buffer) => {
      output += c.toString();
      process.stderr.write(c);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      clearInterval(poll);
      resolve({ code: code ?? 1, output, ...(stopped ? { stopped } : {}) });
    });
    child.stdin.end(JSON.stringify(input));
  });
}

function runLocal(
  shell: string,
  file: string,
  env: Record<string, string>,
  cwd: string,
): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    mkdirSync(cwd, { recursive: true });
    const child = spawn(shell, ['-e', file], {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

async function main(): Promise<number> {
  const raw = process.env.ACTIONS_RUNNER_INPUT_JITCONFIG;
  if (!raw) throw new Error('ACTIONS_RUNNER_INPUT_JITCONFIG is not set');
  const jit = JSON.parse(Buffer.from(raw, 'base64').toString('utf8')) as Jit;
  log(`runner ${jit.runnerName} listening for a job`);
  let job: JobMessage | undefined;
  for (let i = 0; i < 600 && !job; i++) {
    const res = await broker(jit, '/_runner/acquire');
    if (res.status === 200) job = (await res.json()) as JobMessage;
    else {
      await res.text();
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  if (!job) throw new Error('no job assigned within 120 s');
  log(`running job ${job.jobId} of ${job.repo}`);
  const [, name] = job.repo.split('/');
  const temp = join(WORK, '_temp');
  const workspaceHost = join(WORK, name!, name!);
  for (const d of [temp, join(temp, '_github_home'), join(temp, '_github_workflow'), workspaceHost])
    mkdirSync(d, { recursive: true });
  writeFileSync(join(temp, '_github_workflow', 'event.json'), JSON.stringify({ repository: { full_name: job.repo } }));
  const containerWorkspace = `/__w/${name}/${name}`;
  const githubEnv: Record<string, string> = {
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_REPOSITORY: job.repo,
    GITHUB_WORKSPACE: containerWorkspace,
    GITHUB_EVENT_PATH: '/github/workflow/event.json',
    HOME: '/github/home',
    RUNNER_TEMP: '/__w/_temp',
  };
  const systemMountVolumes = [
    { sourceVolumePath: WORK, targetVolumePath: '/__w', readOnly: false },
    { sourceVolumePath: '/home/runner/externals', targetVolumePath: '/__e', readOnly: true },
    { sourceVolumePath: join(temp, '_github_home'), targetVolumePath: '/github/home', readOnly: false },
    { sourceVolumePath: join(temp, '_github_workflow'), targetVolumePath: '/github/workflow', readOnly: false },
  ];
  const usesContainers = !!job.container || !!job.services?.length;
  let state: unknown = {};
  let conclusion = 'success';
  if (usesContainers) {
    const responseFile = join(temp, `${randomUUID()}.json`);
    const prepared = await callHook({
      command: 'prepare_job',
      responseFile,
      args: {
        ...(job.container
          ? {
              container: {
                image: job.container.image,
                entryPoint: 'tail',
                entryPointArgs: ['-f', '/dev/null'],
                workingDirectory: containerWorkspace,
                createOptions: '',
                environmentVariables: job.container.env ?? {},
                userMountVolumes: [],
                systemMountVolumes,
                registry: job.container.registry ?? null,
                portMappings: [],
              },
            }
          : {}),
        services: (job.services ?? []).map((s) => ({
          contextName: s.name,
          image: s.image,
          createOptions: '',
          environmentVariables: s.env ?? {},
          userMountVolumes: [],
          systemMountVolumes: [],
          registry: null,
          portMappings: [],
        })),
      },
      state: {},
    });
    if (prepared.code !== 0) {
      await broker(jit, `/_runner/jobs/${job.jobId}/steps`, {
        name: 'Initialize containers',
        exitCode: prepared.code,
        log: prepared.output,
      });
      await broker(jit, `/_runner/jobs/${job.jobId}/complete`, { conclusion: 'failure' });
      return 0;
    }
    const response = JSON.parse(readFileSync(responseFile, 'utf8')) as {
      state: unknown;
      context: unknown;
      isAlpine: boolean;
    };
    state = response.state;
    await broker(jit, `/_runner/jobs/${job.jobId}/steps`, {
      name: 'Initialize containers',
      exitCode: 0,
      log: JSON.stringify(response),
    });
  }
  const cancelRequested = async () => {
    const res = await broker(jit, `/_runner/jobs/${job.jobId}/cancel-requested`);
    return res.ok && ((await res.json()) as { cancelled?: boolean }).cancelled === true;
  };
  for (const step of job.steps) {
    if (conclusion === 'success' && (await cancelRequested())) conclusion = 'cancelled';
    if (conclusion !== 'success' && !step.always) continue;
    const stop: StopWhen = {
      ...(step.timeoutMinutes !== undefined ? { timeoutMs: step.timeoutMinutes * 60_000 } : {}),
      ...(conclusion === 'success' ? { cancelled: cancelRequested } : {}),
    };
    const result = await runStep(
      step,
      job,
      state,
      temp,
      workspaceHost,
      containerWorkspace,
      githubEnv,
      systemMountVolumes,
      stop,
    );
    let stepLog = result.output;
    if (result.stopped === 'timeout')
      stepLog += `##[error]The action '${step.name}' has timed out after ${step.timeoutMinutes} minutes.\n`;
    if (result.stopped === 'cancelled') stepLog += '##[error]The operation was canceled.\n';
    await broker(jit, `/_runner/jobs/${job.jobId}/steps`, {
      name: step.name,
      exitCode: result.code,
      log: stepLog,
    });
    if (result.stopped === 'cancelled') conclusion = 'cancelled';
    else if ((result.code !== 0 || result.stopped) && conclusion === 'success') conclusion = 'failure';
  }
  if (usesContainers) await callHook({ command: 'cleanup_job', responseFile: null, args: {}, state });
  const done = await broker(jit, `/_runner/jobs/${job.jobId}/complete`, { conclusion });
  log(`job ${job.jobId} ${conclusion} (broker ${done.status})`);
  return 0;
}

async function runStep(
  step: StandInStep,
  job: JobMessage,
  state: unknown,
  temp: string,
  workspaceHost: string,
  containerWorkspace: string,
  githubEnv: Record<string, string>,
  systemMountVolumes: unknown[],
  stop: StopWhen,
): Promise<HookResult> {
  const env = { ...githubEnv, ...(step.env ?? {}) };
  if (step.kind === 'script') {
    const file = `${randomUUID()}.${step.ext ?? 'sh'}`;
    writeFileSync(join(temp, file), step.run ?? '');
    if (!job.container)
      return runLocal(step.shell ?? 'sh', join(temp, file), { ...env, GITHUB_WORKSPACE: workspaceHost }, workspaceHost);
    const args = (step.template ?? '-e {0}').replace('{0}', `/__w/_temp/${file}`);
    return callHook(
      {
        command: 'run_script_step',
        responseFile: null,
        args: {
          entryPoint: step.shell ?? 'sh',
          entryPointArgs: args.split(' ').map((a) => a.trim()),
          environmentVariables: env,
          prependPath: step.prependPath ?? [],
          workingDirectory: containerWorkspace,
        },
        state,
      },
      stop,
    );
  }
  return callHook(
    {
      command: 'run_container_step',
      responseFile: null,
      args: {
        image: step.image,
        dockerfile: null,
        // HookInput.cs: ContainerEntryPointArgs.Split(' ').Select(Trim).Where(not empty).
        entryPointArgs: (step.args ?? '')
          .split(' ')
          .map((a) => a.trim())
          .filter(Boolean),
        entryPoint: step.entrypoint ?? '',
        workingDirectory: '/github/workspace',
        createOptions: '',
        environmentVariables: { ...env, GITHUB_WORKSPACE: '/github/workspace' },
        prependPath: [],
        userMountVolumes: [],
        systemMountVolumes: [
          ...systemMountVolumes,
          { sourceVolumePath: workspaceHost, targetVolumePath: '/github/workspace', readOnly: false },
          {
            sourceVolumePath: '/home/runner/_work/_temp/_runner_file_commands',
            targetVolumePath: '/github/file_commands',
            readOnly: false,
          },
        ],
        registry: null,
        portMappings: [],
      },
      state,
    },
    stop,
  );
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`[stand-in] failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
