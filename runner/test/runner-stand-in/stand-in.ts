/**
 * TEST-ONLY stand-in for the official GitHub Actions runner (which cannot be downloaded here). It takes a job from
 * the emulated broker and drives the container hooks exactly as the runner does; every hook-visible behaviour below
 * is taken from the runner's source (github.com/actions/runner, paths under src/), not from its docs:
 *
 * - Waiting for a job: forever, like the listener's `while (true)` GetMessage loop (Runner.Listener/MessageListener.cs);
 *   network errors are retried with the listener's random 15–30 s backoff; the runner stops only when its
 *   registration is gone (RunnerNotFoundException / TaskAgentNotFoundException are not retriable: the emulator answers
 *   401/403/404 once it has deregistered the runner) or when it is signalled. No give-up timer.
 * - Exactly one job: a JIT runner is ephemeral (Runner.Listener/Runner.cs `command.RunOnce || settings.Ephemeral`):
 *   after its job completes it exits and never asks for another.
 * - Each hook call: `<externals>/node20/bin/node <hook>.js` (HostContext.cs GetDefaultShellForScript, NodeUtil.cs
 *   `_defaultNodeVersion = "node20"`), run through ScriptHandler with the job's workspace as working directory
 *   (ScriptHandler.cs RunAsync), the HookInput serialized as camelCase JSON with nulls kept (JsonUtility →
 *   VssJsonMediaTypeFormatter; dictionary keys unchanged) on stdin, `responseFile` =
 *   `_work/_temp/_runner_hook_responses/<guid>.json` created empty before EVERY command and read (then deleted)
 *   after it; a response's `state` replaces the saved state; `prepare_job` with a job container fails without a
 *   response (ContainerHookManager.cs ExecuteHookScript/GetResponse/SaveHookState). `prepare_job` gets `state: null`.
 * - The hook process env: the runner's own env, `GITHUB_ACTIONS=true` and `CI=true` unless set
 *   (Runner.Sdk/ProcessInvoker.cs), the github/runner contexts as GITHUB_* / RUNNER_* with host paths
 *   (GitHubContext.cs allow-list, RunnerContext.cs), PATH with the prepend path in front when there is one
 *   (Handler.cs AddPrependPathToEnvironment).
 * - prepare_job args (HookInput.cs HookContainer, ContainerOperationProvider.cs MountWellKnownDirectories): the job
 *   container with `entryPoint: null` and `entryPointArgs: []` (hooks mode sets no `tail -f`), `createOptions` =
 *   `options:` or null, `environmentVariables` = `env:` + HOME=/github/home, system mounts docker.sock, work → /__w,
 *   externals → /__e (read-only), temp → /__w/_temp, actions → /__w/_actions, tool cache → /__w/_tool,
 *   _github_home → /github/home, _github_workflow → /github/workflow; services with their own env, ports and no
 *   system mounts. HookContainer has no name field: services are told apart by order only.
 * - Script steps (ScriptHandler.cs, StepHost.cs ContainerStepHost, ContainerHookManager.cs RunScriptStepAsync): the
 *   script goes to `_work/_temp/<guid>.<ext>`; `run_script_step` gets `entryPoint` = the shell, `entryPointArgs` =
 *   the shell template with `/__w/_temp/<guid>.<ext>` split on single spaces and trimmed (not filtered), env values
 *   translated host → container path, `prependPath` = Global.PrependPath reversed (an ARRAY, newest first; runners
 *   up to v2.293.0 sent one joined string — a step's `prependPath` knob sends that instead), workingDirectory = the
 *   container workspace.
 * - File commands (FileCommandManager.cs): before each step, empty `add_path_`, `set_env_`, `step_summary_`,
 *   `save_state_`, `set_output_` + <guid> files in `_work/_temp/_runner_file_commands`, exposed as GITHUB_PATH,
 *   GITHUB_ENV, GITHUB_STEP_SUMMARY, GITHUB_STATE, GITHUB_OUTPUT (container paths); after it GITHUB_PATH lines move to
 *   the END of Global.PrependPath (so the newest is sent first), GITHUB_ENV sets the job's env for later steps,
 *   GITHUB_OUTPUT becomes the step's outputs (`k=v` and `k<<DELIM` heredocs).
 * - JavaScript actions (NodeScriptActionHandler.cs, StepHost.cs DetermineNodeRuntimeVersion): through
 *   `run_script_step` with `entryPoint` = `/__e/node20/bin/node` (node20_alpine when prepare_job said isAlpine) and
 *   `entryPointArgs` = [the action's main .js as a container path], INPUT_<NAME> env (Handler.cs
 *   AddInputsToEnvironment), ACTIONS_RUNTIME_URL/TOKEN.
 * - `docker://` steps (ContainerActionHandler.cs): `run_container_step` with the image, `entryPoint`, `args` split on
 *   single spaces with empties dropped (HookInput.cs), workingDirectory /github/workspace, HOME=/github/home, env
 *   translated by that container's mappings (/github/workspace, /github/file_commands, /github/runner_temp…) and the
 *   mounts docker.sock, temp → /github/runner_temp, _github_home, _github_workflow, _runner_file_commands →
 *   /github/file_commands, workspace → /github/workspace.
 * - Cancel and `timeout-minutes`: a job cancel (the runner's JobCancelMessage; here polled from the emulated broker)
 *   or a step's timeout stops the running hook process the way ProcessInvoker stops any process — SIGINT, SIGTERM
 *   7.5 s later, a kill 2.5 s after that (Runner.Sdk/ProcessInvoker.cs CancelAndKillProcessTree,
 *   `_sigintTimeout`/`_sigtermTimeout`; hooks run through ScriptHandler with `killProcessOnCancel: false`). After a
 *   failure or a cancel only `always` steps run, then `cleanup_job` (ContainerOperationProvider.cs registers it as a
 *   post-job step with `always()`).
 * - `continue-on-error` (ExecutionContext.cs ApplyContinueOnError): a step whose result is Failed (a non-zero exit
 *   or a timeout) gets outcome failure but result success, so the job goes on and is not failed by it.
 * - Secrets (Worker.cs: each secret variable's value, trimmed, and each of its lines go to the SecretMasker): every
 *   occurrence in the output the runner prints or reports is replaced by `***`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { JobMessage, StandInStep } from '../github-emulator/state.js';

const ROOT = process.env.RUNNER_ROOT ?? '/home/runner';
const WORK = process.env.RUNNER_WORK ?? `${ROOT}/_work`;
const EXTERNALS = `${ROOT}/externals`;
const TEMP = join(WORK, '_temp');
const ACTIONS = join(WORK, '_actions');
const TOOLS = join(WORK, '_tool');
const RESPONSES = join(TEMP, '_runner_hook_responses');
const FILE_COMMANDS = join(TEMP, '_runner_file_commands');
const HOME_DIR = join(TEMP, '_github_home');
const WORKFLOW_DIR = join(TEMP, '_github_workflow');
const HOOKS = process.env.ACTIONS_RUNNER_CONTAINER_HOOKS ?? `${ROOT}/eci-hooks/index.js`;
/** NodeUtil.cs: the runner's internal Node.js, used for `.js` hooks and (by default) JavaScript actions. */
const NODE_EXTERNAL = 'node20';

interface Jit {
  runnerId: number;
  runnerName: string;
  brokerUrl: string;
  token: string;
}

/** The SecretMasker's values (Worker.cs adds the whole trimmed value and each of its lines), longest first. */
let maskValues: string[] = [];

export function setSecrets(secrets: string[]): void {
  const values = new Set<string>();
  for (const s of secrets) {
    const v = s.trim();
    if (v) values.add(v);
    for (const line of v.split(/[\r\n]+/).map((l) => l.trim())) if (line) values.add(line);
  }
  maskValues = [...values].sort((a, b) => b.length - a.length);
}

export function mask(text: string): string {
  let out = text;
  for (const v of maskValues) out = out.split(v).join('***');
  return out;
}

/** Writes a child's output through the masker a whole line at a time (a secret split across chunks is still caught). */
function maskedWriter(to: NodeJS.WriteStream): { write: (c: Buffer) => void; flush: () => void } {
  let pending = '';
  return {
    write: (c) => {
      pending += c.toString();
      const end = pending.lastIndexOf('\n');
      if (end < 0) return;
      to.write(mask(pending.slice(0, end + 1)));
      pending = pending.slice(end + 1);
    },
    flush: () => {
      if (pending) to.write(mask(pending));
      pending = '';
    },
  };
}

function log(msg: string): void {
  process.stdout.write(`[stand-in] ${new Date().toISOString()} ${msg}\n`);
}

/**
 * One broker call, retried on network errors (a pooled keep-alive socket the server has just closed fails the first
 * attempt with "other side closed").
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
      await sleep(200 * attempt);
    }
  }
}

/**
 * MessageListener.cs: poll for a job until one comes; network errors back off 15–30 s and retry forever; a runner
 * whose registration is gone (401/403/404 here) stops. Returns undefined in that case.
 */
async function waitForJob(jit: Jit): Promise<JobMessage | undefined> {
  for (;;) {
    let res: Response;
    try {
      res = await broker(jit, '/_runner/acquire');
    } catch (err) {
      const backoff = 15_000 + Math.random() * 15_000;
      log(`runner connect error: ${String((err as Error).cause ?? err)}; retrying in ${Math.round(backoff / 1000)} s`);
      await sleep(backoff);
      continue;
    }
    if (res.status === 200) return (await res.json()) as JobMessage;
    const text = await res.text();
    if (res.status === 401 || res.status === 403 || res.status === 404) {
      log(`the runner registration is gone (${res.status} ${text.slice(0, 200)}); exiting`);
      return undefined;
    }
    await sleep(500);
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

type HookCommand = 'prepare_job' | 'cleanup_job' | 'run_script_step' | 'run_container_step';

/** Mount as HookInput.cs serializes ContainerInfo.MountVolume. */
const mount = (source: string, target: string, readOnly = false) => ({
  sourceVolumePath: source,
  targetVolumePath: target,
  readOnly,
  userProvidedValue: null,
});

/** HookInput.cs HookContainer, every field present (nulls included), in the runner's camelCase. */
function hookContainer(c: {
  image: string | null;
  dockerfile?: string | null;
  entryPointArgs?: string[];
  entryPoint?: string | null;
  workingDirectory?: string | null;
  createOptions?: string | null;
  environmentVariables?: Record<string, string>;
  portMappings?: string[];
  systemMountVolumes?: unknown[];
  userMountVolumes?: unknown[];
  registry?: { username: string; password: string; serverUrl?: string } | null;
}) {
  return {
    image: c.image,
    dockerfile: c.dockerfile ?? null,
    entryPointArgs: c.entryPointArgs ?? [],
    entryPoint: c.entryPoint ?? null,
    workingDirectory: c.workingDirectory ?? null,
    createOptions: c.createOptions ?? null,
    registry: c.registry ?? null,
    environmentVariables: c.environmentVariables ?? {},
    portMappings: c.portMappings ?? [],
    systemMountVolumes: c.systemMountVolumes ?? [],
    userMountVolumes: c.userMountVolumes ?? [],
  };
}

/** Host → container path by a container's mappings, first match wins (ContainerInfo.cs TranslateToContainerPath). */
function translator(mappings: [string, string][]): (value: string) => string {
  return (value) => {
    for (const [host, container] of mappings) {
      if (value === host) return container;
      if (value.startsWith(`${host}/`)) return container + value.slice(host.length);
    }
    return value;
  };
}
const translateAll = (env: Record<string, string>, t: (v: string) => string) =>
  Object.fromEntries(Object.entries(env).map(([k, v]) => [k, t(v)]));

class Job {
  /** Context.Global.ContainerHookState. */
  private state: unknown = null;
  /** Context.Global.PrependPath: GITHUB_PATH additions, oldest first. */
  private readonly prependPath: string[] = [];
  /** Env set by GITHUB_ENV, for later steps. */
  private readonly jobEnv: Record<string, string> = {};
  private isAlpine = false;
  private stepNumber = 0;
  readonly workspaceHost: string;
  readonly repoDirHost: string;
  /** ContainerInfo path mappings of the job container (ContainerInfo.cs ctor + MountWellKnownDirectories). */
  readonly toJobContainer = translator([
    [WORKFLOW_DIR, '/github/workflow'],
    [HOME_DIR, '/github/home'],
    [WORK, '/__w'],
    [TOOLS, '/__t'],
    [EXTERNALS, '/__e'],
  ]);

  constructor(
    readonly jit: Jit,
    readonly msg: JobMessage,
  ) {
    const name = msg.repo.split('/')[1]!;
    this.repoDirHost = join(WORK, name);
    this.workspaceHost = join(WORK, name, name);
  }

  /** The hook's Node.js: the runner's externals when present (the runner image has them). */
  private hookNode(): string {
    const node = join(EXTERNALS, NODE_EXTERNAL, 'bin', 'node');
    return existsSync(node) ? node : process.execPath;
  }

  /** github and runner contexts as env (GitHubContext.cs allow-list, RunnerContext.cs), host paths. */
  contextEnv(fileCommands?: Record<string, string>): Record<string, string> {
    const m = this.msg;
    const [owner] = m.repo.split('/');
    return {
      GITHUB_ACTOR: 'octocat',
      GITHUB_API_URL: 'https://api.github.com',
      GITHUB_EVENT_NAME: 'push',
      GITHUB_EVENT_PATH: join(WORKFLOW_DIR, 'event.json'),
      GITHUB_GRAPHQL_URL: 'https://api.github.com/graphql',
      GITHUB_JOB: m.jobKey ?? 'job',
      GITHUB_REF: 'refs/heads/main',
      GITHUB_REF_NAME: 'main',
      GITHUB_REF_TYPE: 'branch',
      GITHUB_REPOSITORY: m.repo,
      GITHUB_REPOSITORY_OWNER: owner!,
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_RUN_ID: String(m.runId ?? 1),
      GITHUB_RUN_NUMBER: String(m.runNumber ?? 1),
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_SHA: m.headSha ?? '0'.repeat(40),
      GITHUB_WORKFLOW: m.workflow ?? 'CI',
      GITHUB_WORKSPACE: this.workspaceHost,
      ...(fileCommands ?? {}),
      RUNNER_ARCH: 'X64',
      RUNNER_ENVIRONMENT: 'self-hosted',
      RUNNER_NAME: this.jit.runnerName,
      RUNNER_OS: 'Linux',
      RUNNER_TEMP: TEMP,
      RUNNER_TOOL_CACHE: TOOLS,
      RUNNER_WORKSPACE: this.repoDirHost,
    };
  }

  /** ContainerHookManager.cs ExecuteHookScript: one hook process, response file, state. */
  async hook(command: HookCommand, args: unknown, stop: StopWhen = {}): Promise<HookResult & { response?: unknown }> {
    mkdirSync(RESPONSES, { recursive: true });
    const responseFile = join(RESPONSES, `${randomUUID()}.json`);
    writeFileSync(responseFile, '');
    const input = { command, responseFile, args, state: command === 'prepare_job' ? null : this.state };
    const prepend = [...this.prependPath].reverse().join(':');
    const env: Record<string, string | undefined> = {
      ...process.env,
      ...this.contextEnv(),
      ...(prepend ? { PATH: `${prepend}:${process.env.PATH ?? ''}` } : {}),
      GITHUB_ACTIONS: 'true',
      ...(process.env.CI === undefined ? { CI: 'true' } : {}),
    };
    const result = await runProcess(this.hookNode(), [HOOKS], env, this.workspaceHost, JSON.stringify(input), stop);
    let response: unknown;
    if (existsSync(responseFile)) {
      const text = readFileSync(responseFile, 'utf8');
      rmSync(responseFile, { force: true });
      if (text.trim()) response = JSON.parse(text);
    }
    const s = (response as { state?: unknown } | undefined)?.state;
    if (s !== undefined && s !== null) this.state = s;
    return { ...result, ...(response !== undefined ? { response } : {}) };
  }

  async prepare(): Promise<HookResult> {
    const m = this.msg;
    const containerWorkspace = this.toJobContainer(this.workspaceHost);
    const args = {
      container: m.container
        ? hookContainer({
            image: m.container.image,
            workingDirectory: containerWorkspace,
            createOptions: m.container.options ?? null,
            environmentVariables: { ...(m.container.env ?? {}), HOME: '/github/home' },
            registry: m.container.registry ?? null,
            systemMountVolumes: [
              mount('/var/run/docker.sock', '/var/run/docker.sock'),
              mount(WORK, '/__w'),
              mount(EXTERNALS, '/__e', true),
              mount(TEMP, '/__w/_temp'),
              mount(ACTIONS, '/__w/_actions'),
              mount(TOOLS, '/__w/_tool'),
              mount(HOME_DIR, '/github/home'),
              mount(WORKFLOW_DIR, '/github/workflow'),
            ],
          })
        : null,
      services: (m.services ?? []).map((s) =>
        hookContainer({
          image: s.image,
          createOptions: s.options ?? null,
          environmentVariables: s.env ?? {},
          portMappings: s.ports ?? [],
        }),
      ),
    };
    const r = await this.hook('prepare_job', args);
    if (r.code === 0 && m.container && r.response === undefined)
      return { code: 1, output: `${r.output}Response file is required but not found for prepare_job\n` };
    this.isAlpine = (r.response as { isAlpine?: boolean } | undefined)?.isAlpine === true;
    return { code: r.code, output: r.code === 0 ? mask(JSON.stringify(r.response ?? {})) : r.output };
  }

  async cleanup(): Promise<void> {
    await this.hook('cleanup_job', {});
  }

  /** FileCommandManager.cs InitializeFiles: fresh empty files, host paths by context name. */
  private initFileCommands(): Record<string, string> {
    mkdirSync(FILE_COMMANDS, { recursive: true });
    const suffix = randomUUID();
    const files: Record<string, string> = {
      GITHUB_PATH: join(FILE_COMMANDS, `add_path_${suffix}`),
      GITHUB_ENV: join(FILE_COMMANDS, `set_env_${suffix}`),
      GITHUB_STEP_SUMMARY: join(FILE_COMMANDS, `step_summary_${suffix}`),
      GITHUB_STATE: join(FILE_COMMANDS, `save_state_${suffix}`),
      GITHUB_OUTPUT: join(FILE_COMMANDS, `set_output_${suffix}`),
    };
    for (const f of Object.values(files)) writeFileSync(f, '');
    return files;
  }

  /** FileCommandManager.cs ProcessFiles: PATH additions, env for later steps, the step's outputs. */
  private processFileCommands(files: Record<string, string>): Record<string, string> {
    const read = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8') : '');
    for (const line of read(files.GITHUB_PATH!)
      .split('\n')
      .map((l) => l.replace(/\r$/, ''))) {
      if (!line) continue;
      const at = this.prependPath.indexOf(line);
      if (at >= 0) this.prependPath.splice(at, 1);
      this.prependPath.push(line);
    }
    Object.assign(this.jobEnv, parseKeyValueFile(read(files.GITHUB_ENV!)));
    const outputs = parseKeyValueFile(read(files.GITHUB_OUTPUT!));
    for (const f of Object.values(files)) rmSync(f, { force: true });
    return outputs;
  }

  /** Global.PrependPath reversed: an array newest first, or (`legacy`) one joined string as runners ≤ v2.293.0. */
  private sentPrependPath(step: StandInStep): string[] | string {
    if (step.prependPath !== undefined) return step.prependPath;
    return [...this.prependPath].reverse();
  }

  async step(step: StandInStep, stop: StopWhen): Promise<HookResult & { outputs?: Record<string, string> }> {
    this.stepNumber++;
    const files = this.initFileCommands();
    const result = await this.runStep(step, files, stop);
    const outputs = this.processFileCommands(files);
    return { ...result, ...(Object.keys(outputs).length ? { outputs } : {}) };
  }

  private runStep(step: StandInStep, files: Record<string, string>, stop: StopWhen): Promise<HookResult> {
    const action = step.kind === 'script' ? (this.stepNumber === 1 ? '__run' : `__run_${this.stepNumber}`) : step.name;
    const context = { ...this.contextEnv(files), GITHUB_ACTION: action };
    const containerWorkspace = this.toJobContainer(this.workspaceHost);
    if (step.kind === 'script') {
      const file = `${randomUUID()}.${step.ext ?? 'sh'}`;
      writeFileSync(join(TEMP, file), step.run ?? '');
      const env = { ...this.jobEnv, ...(step.env ?? {}), ...context };
      if (!this.msg.container)
        return runProcess(step.shell ?? 'sh', ['-e', join(TEMP, file)], { ...process.env, ...env }, this.workspaceHost);
      const args = (step.template ?? '-e {0}').replace('{0}', `/__w/_temp/${file}`);
      return this.hook(
        'run_script_step',
        {
          entryPointArgs: args.split(' ').map((a) => a.trim()),
          entryPoint: step.shell ?? 'sh',
          environmentVariables: translateAll(env, this.toJobContainer),
          prependPath: this.sentPrependPath(step),
          workingDirectory: containerWorkspace,
        },
        stop,
      );
    }
    if (step.kind === 'node') {
      const target = join(this.workspaceHost, step.action ?? '.', step.main ?? 'index.js');
      if (!existsSync(target)) return Promise.resolve({ code: 1, output: `##[error]File not found: '${target}'\n` });
      const inputs = Object.fromEntries(
        Object.entries(step.with ?? {}).map(([k, v]) => [`INPUT_${k.replace(/ /g, '_').toUpperCase()}`, v]),
      );
      const env = {
        ...this.jobEnv,
        ...(step.env ?? {}),
        ...inputs,
        ...context,
        ACTIONS_RUNTIME_URL: `${this.jit.brokerUrl}/`,
        ACTIONS_RUNTIME_TOKEN: 'runtime-token-stand-in',
      };
      if (!this.msg.container)
        return runProcess(this.hookNode(), [target], { ...process.env, ...env }, this.workspaceHost);
      const node = `${NODE_EXTERNAL}${this.isAlpine ? '_alpine' : ''}`;
      return this.hook(
        'run_script_step',
        {
          entryPointArgs: this.toJobContainer(target)
            .split(' ')
            .map((a) => a.trim()),
          entryPoint: this.toJobContainer(join(EXTERNALS, node, 'bin', 'node')),
          environmentVariables: translateAll(env, this.toJobContainer),
          prependPath: this.sentPrependPath(step),
          workingDirectory: containerWorkspace,
        },
        stop,
      );
    }
    // docker:// step: ContainerActionHandler.cs — its own mounts and path mappings.
    const toStep = translator([
      [this.workspaceHost, '/github/workspace'],
      [FILE_COMMANDS, '/github/file_commands'],
      [WORKFLOW_DIR, '/github/workflow'],
      [HOME_DIR, '/github/home'],
      [TEMP, '/github/runner_temp'],
    ]);
    const env = {
      ...this.jobEnv,
      ...(step.env ?? {}),
      HOME: HOME_DIR,
      ...context,
      ACTIONS_RUNTIME_URL: `${this.jit.brokerUrl}/`,
      ACTIONS_RUNTIME_TOKEN: 'runtime-token-stand-in',
    };
    return this.hook(
      'run_container_step',
      hookContainer({
        image: step.image ?? null,
        entryPointArgs: (step.args ?? '')
          .split(' ')
          .map((a) => a.trim())
          .filter(Boolean),
        entryPoint: step.entrypoint ?? null,
        workingDirectory: '/github/workspace',
        environmentVariables: translateAll(env, toStep),
        systemMountVolumes: [
          mount('/var/run/docker.sock', '/var/run/docker.sock'),
          mount(TEMP, '/github/runner_temp'),
          mount(HOME_DIR, '/github/home'),
          mount(WORKFLOW_DIR, '/github/workflow'),
          mount(FILE_COMMANDS, '/github/file_commands'),
          mount(this.workspaceHost, '/github/workspace'),
        ],
      }),
      stop,
    );
  }
}

/** `k=v` lines and `k<<DELIM` … `DELIM` heredocs (FileCommandManager.cs EnvFileKeyValuePairs). */
export function parseKeyValueFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line) continue;
    const eq = line.indexOf('=');
    const heredoc = line.indexOf('<<');
    if (heredoc > 0 && (eq < 0 || heredoc < eq)) {
      const key = line.slice(0, heredoc);
      const delimiter = line.slice(heredoc + 2);
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i]!);
      out[key] = value.join('\n');
    } else if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

function runProcess(
  file: string,
  argv: string[],
  env: Record<string, string | undefined>,
  cwd: string,
  stdin?: string,
  stop: StopWhen = {},
): Promise<HookResult> {
  return new Promise((resolve, reject) => {
    mkdirSync(cwd, { recursive: true });
    const child = spawn(file, argv, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
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
    const out = maskedWriter(process.stdout);
    const err = maskedWriter(process.stderr);
    child.stdout.on('data', (c: Buffer) => {
      output += c.toString();
      out.write(c);
    });
    child.stderr.on('data', (c: Buffer) => {
      output += c.toString();
      err.write(c);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      clearInterval(poll);
      out.flush();
      err.flush();
      resolve({ code: code ?? 1, output: mask(output), ...(stopped ? { stopped } : {}) });
    });
    // A child that exits before reading its input (a hook failing at start) closes the pipe: its exit code and
    // output say why, as they do to the runner; the EPIPE itself must not crash the runner.
    child.stdin.on('error', () => undefined);
    child.stdin.end(stdin ?? '');
  });
}

async function main(): Promise<number> {
  const raw = process.env.ACTIONS_RUNNER_INPUT_JITCONFIG;
  if (!raw) throw new Error('ACTIONS_RUNNER_INPUT_JITCONFIG is not set');
  const jit = JSON.parse(Buffer.from(raw, 'base64').toString('utf8')) as Jit;
  log(`runner ${jit.runnerName} listening for a job`);
  const msg = await waitForJob(jit);
  if (!msg) return 0;
  setSecrets(msg.secrets ?? []);
  log(`running job ${msg.jobId} of ${msg.repo}`);
  const job = new Job(jit, msg);
  for (const d of [TEMP, HOME_DIR, WORKFLOW_DIR, FILE_COMMANDS, ACTIONS, TOOLS, job.workspaceHost])
    mkdirSync(d, { recursive: true });
  writeFileSync(join(WORKFLOW_DIR, 'event.json'), JSON.stringify({ repository: { full_name: msg.repo } }));
  const usesContainers = !!msg.container || !!msg.services?.length;
  const report = (name: string, exitCode: number, stepLog: string, outputs?: Record<string, string>) =>
    broker(jit, `/_runner/jobs/${msg.jobId}/steps`, { name, exitCode, log: stepLog, ...(outputs ? { outputs } : {}) });
  let conclusion = 'success';
  if (usesContainers) {
    const prepared = await job.prepare();
    await report('Initialize containers', prepared.code, prepared.output);
    if (prepared.code !== 0) {
      await broker(jit, `/_runner/jobs/${msg.jobId}/complete`, { conclusion: 'failure' });
      return 0;
    }
  }
  const cancelRequested = async () => {
    const res = await broker(jit, `/_runner/jobs/${msg.jobId}/cancel-requested`);
    return res.ok && ((await res.json()) as { cancelled?: boolean }).cancelled === true;
  };
  for (const step of msg.steps) {
    if (conclusion === 'success' && (await cancelRequested())) conclusion = 'cancelled';
    if (conclusion !== 'success' && !step.always) continue;
    const stop: StopWhen = {
      ...(step.timeoutMinutes !== undefined ? { timeoutMs: step.timeoutMinutes * 60_000 } : {}),
      ...(conclusion === 'success' ? { cancelled: cancelRequested } : {}),
    };
    const result = await job.step(step, stop);
    let stepLog = result.output;
    if (result.stopped === 'timeout')
      stepLog += `##[error]The action '${step.name}' has timed out after ${step.timeoutMinutes} minutes.\n`;
    if (result.stopped === 'cancelled') stepLog += '##[error]The operation was canceled.\n';
    await report(step.name, result.code, stepLog, result.outputs);
    if (result.stopped === 'cancelled') conclusion = 'cancelled';
    else if ((result.code !== 0 || result.stopped) && conclusion === 'success' && !step.continueOnError)
      conclusion = 'failure';
  }
  if (usesContainers) await job.cleanup();
  const done = await broker(jit, `/_runner/jobs/${msg.jobId}/complete`, { conclusion });
  log(`job ${msg.jobId} ${conclusion} (broker ${done.status}); an ephemeral runner exits after its one job`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`[stand-in] failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
