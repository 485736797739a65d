/**
 * The runner's container-hook protocol (actions/runner-container-hooks): each call is a new `node index.js` process
 * reading ONE JSON object from stdin — `{command, responseFile, args, state}` — and exiting 0 on success.
 * `prepare_job` answers by writing `{state, context, isAlpine}` to `responseFile`; `state` comes back in every later call.
 */
import { InvalidInput } from '@eci-virtual/contract';

export type HookCommand = 'prepare_job' | 'cleanup_job' | 'run_script_step' | 'run_container_step';
export const HOOK_COMMANDS: HookCommand[] = ['prepare_job', 'cleanup_job', 'run_script_step', 'run_container_step'];

export interface Mount {
  sourceVolumePath?: string;
  targetVolumePath: string;
  readOnly?: boolean;
}

export interface ContainerArgs {
  image?: string;
  dockerfile?: string;
  entryPoint?: string;
  entryPointArgs?: string[];
  workingDirectory?: string;
  createOptions?: string;
  environmentVariables?: Record<string, string>;
  userMountVolumes?: Mount[];
  systemMountVolumes?: Mount[];
  registry?: { username?: string; password?: string; serverUrl?: string } | null;
  portMappings?: string[];
  prependPath?: string[];
}

export interface PrepareJobArgs {
  container?: ContainerArgs | null;
  services?: ContainerArgs[];
}

export interface ScriptStepArgs {
  entryPoint: string;
  entryPointArgs: string[];
  environmentVariables?: Record<string, string>;
  /** Newest first, as the runner sends it (see parsePrependPath). */
  prependPath?: string[];
  workingDirectory: string;
}

/** What prepare_job remembers for later calls. */
export interface HookState {
  pod: { namespace: string; name: string };
  /** Container running `container:` steps, when the job has one. */
  jobContainer?: string;
  services: string[];
  /** $ECI_VIRTUAL_POD_FACTS for every script step (pod-assembly/pod-facts.ts), computed once by prepare_job. */
  facts?: string;
  /** Containers that serve the step agent (none in pods of an older controller: steps then use Kubernetes exec). */
  agents?: string[];
  /**
   * The job container's env as the runner evaluated it (`container.env`, secrets included, plus what `docker create`
   * adds), put under every step's env in that container — what `docker create -e` gives on GitHub. Kept here, not in
   * the pod spec: the runner holds `state` only in memory (actions/runner ContainerHookManager.SaveHookState →
   * `Global.ContainerHookState`) and hands it to each hook on stdin, next to step env that holds the same secrets;
   * the one file it touches is prepare_job's response file, which the runner deletes as soon as it has read it,
   * before any step runs. So no disk copy outlives prepare_job and nothing reaches the pod spec or a log.
   */
  jobEnv?: Record<string, string>;
  /** The job runs in this workload pod (hooks/workload/): its agents are reached over TCP. */
  remote?: { pod: string };
}

export interface HookInput {
  command: HookCommand;
  responseFile?: string;
  args: unknown;
  state?: unknown;
}

export function parseHookInput(text: string): HookInput {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new InvalidInput(`hook input is not JSON: ${(err as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null) throw new InvalidInput('hook input must be a JSON object');
  const r = raw as Record<string, unknown>;
  if (typeof r.command !== 'string' || !HOOK_COMMANDS.includes(r.command as HookCommand))
    throw new InvalidInput(
      `hook input: unknown command ${JSON.stringify(r.command)} (expected one of ${HOOK_COMMANDS.join(', ')})`,
    );
  if (r.responseFile !== undefined && r.responseFile !== null && typeof r.responseFile !== 'string')
    throw new InvalidInput('hook input: responseFile must be a string');
  if (r.command === 'prepare_job' && !r.responseFile)
    throw new InvalidInput('hook input: prepare_job needs responseFile');
  return {
    command: r.command as HookCommand,
    ...(typeof r.responseFile === 'string' ? { responseFile: r.responseFile } : {}),
    args: r.args ?? {},
    state: r.state,
  };
}

export function parseScriptStepArgs(args: unknown): ScriptStepArgs {
  const a = (args ?? {}) as Record<string, unknown>;
  if (typeof a.entryPoint !== 'string' || !a.entryPoint)
    throw new InvalidInput('run_script_step: args.entryPoint must be a non-empty string');
  if (
    a.entryPointArgs !== undefined &&
    (!Array.isArray(a.entryPointArgs) || a.entryPointArgs.some((x) => typeof x !== 'string'))
  )
    throw new InvalidInput('run_script_step: args.entryPointArgs must be a list of strings');
  if (typeof a.workingDirectory !== 'string' || !a.workingDirectory)
    throw new InvalidInput('run_script_step: args.workingDirectory must be a non-empty string');
  return {
    entryPoint: a.entryPoint,
    entryPointArgs: (a.entryPointArgs as string[] | undefined) ?? [],
    environmentVariables: stringRecord(a.environmentVariables, 'run_script_step: args.environmentVariables'),
    prependPath: parsePrependPath(a.prependPath),
    workingDirectory: a.workingDirectory,
  };
}

/**
 * `prependPath` as runners send it: since v2.294.0 an array already newest first (HookInput.cs
 * `IEnumerable<string> PrependPath`, set from `Global.PrependPath.Reverse()`); up to v2.293.0 one string joined with
 * the path separator, in the same order. Either way the result is newest first; anything else is refused.
 */
export function parsePrependPath(v: unknown): string[] {
  if (v === undefined || v === null || v === '') return [];
  if (typeof v === 'string') return v.split(':').filter(Boolean);
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return (v as string[]).filter(Boolean);
  throw new InvalidInput(
    'run_script_step: args.prependPath must be a list of strings (or, from old runners, one string)',
  );
}

export function parseState(state: unknown): HookState {
  const s = state as Partial<HookState> | undefined;
  if (!s || typeof s !== 'object' || !s.pod?.name || !s.pod.namespace)
    throw new InvalidInput('hook state is missing (prepare_job must run first and its response be passed back)');
  if (typeof s.pod.name !== 'string' || typeof s.pod.namespace !== 'string')
    throw new InvalidInput('hook state: pod.name and pod.namespace must be strings');
  if (s.jobContainer !== undefined && s.jobContainer !== null && typeof s.jobContainer !== 'string')
    throw new InvalidInput('hook state: jobContainer must be a string');
  return {
    pod: { namespace: s.pod.namespace, name: s.pod.name },
    ...(s.jobContainer ? { jobContainer: s.jobContainer } : {}),
    services: stringList(s.services, 'hook state: services'),
    ...(typeof s.facts === 'string' ? { facts: s.facts } : {}),
    ...(Array.isArray(s.agents) ? { agents: s.agents.filter((a) => typeof a === 'string') } : {}),
    ...(s.jobEnv && typeof s.jobEnv === 'object' ? { jobEnv: stringRecord(s.jobEnv, 'hook state jobEnv') } : {}),
    ...(typeof s.remote?.pod === 'string' ? { remote: { pod: s.remote.pod } } : {}),
  };
}

export function stringRecord(v: unknown, what: string): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new InvalidInput(`${what} must be an object of strings`);
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== 'string') throw new InvalidInput(`${what}.${k} must be a string`);
    out[k] = x;
  }
  return out;
}

function stringList(v: unknown, what: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
    throw new InvalidInput(`${what} must be a list of strings`);
  return v as string[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A container's args as the runner sends them (HookInput.cs `ContainerDefinition`: prepare_job's `container` and
 * `services[]`, run_container_step's `args`), checked for the types this code reads, so malformed input is one
 * InvalidInput naming the field instead of a TypeError deep in a step.
 */
export function parseContainerArgs(v: unknown, what: string): ContainerArgs {
  if (!isObject(v)) throw new InvalidInput(`${what} must be an object`);
  for (const k of ['image', 'dockerfile', 'entryPoint', 'workingDirectory', 'createOptions'] as const)
    if (v[k] !== undefined && v[k] !== null && typeof v[k] !== 'string')
      throw new InvalidInput(`${what}.${k} must be a string`);
  for (const k of ['entryPointArgs', 'portMappings'] as const) stringList(v[k], `${what}.${k}`);
  stringRecord(v.environmentVariables, `${what}.environmentVariables`);
  for (const k of ['userMountVolumes', 'systemMountVolumes'] as const) {
    const mounts = v[k];
    if (mounts === undefined || mounts === null) continue;
    if (!Array.isArray(mounts) || mounts.some((m) => !isObject(m) || typeof m.targetVolumePath !== 'string'))
      throw new InvalidInput(`${what}.${k} must be a list of mounts with a targetVolumePath`);
  }
  if (v.registry !== undefined && v.registry !== null && !isObject(v.registry))
    throw new InvalidInput(`${what}.registry must be an object`);
  return v as ContainerArgs;
}

/** prepare_job's args: an optional job container and a list of services. */
export function parsePrepareJobArgs(v: unknown): PrepareJobArgs {
  const a = v ?? {};
  if (!isObject(a)) throw new InvalidInput('prepare_job: args must be an object');
  if (a.services !== undefined && a.services !== null && !Array.isArray(a.services))
    throw new InvalidInput('prepare_job: args.services must be a list');
  return {
    ...(a.container === undefined || a.container === null
      ? { container: a.container }
      : { container: parseContainerArgs(a.container, 'prepare_job: args.container') }),
    services: ((a.services as unknown[] | null | undefined) ?? []).map((svc, i) =>
      parseContainerArgs(svc, `prepare_job: args.services[${i}]`),
    ),
  };
}
