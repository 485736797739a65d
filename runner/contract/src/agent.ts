/**
 * The in-pod step agent (runner/agent) as the pod builder, the hooks image and the hooks agree on it: where the init
 * container installs it, the command the step-running containers serve it with, and where each agent's socket and
 * state live on the shared workspace (seen as `/__w` in job containers and as its work folder by the runner).
 */
import { PATHS } from './pod-layout.js';

export const AGENT = {
  /** The emptyDir the init container installs the agent and the pod's token into. */
  volume: 'eci-agent',
  /** Where that emptyDir is mounted (read-only) in the runner, job and `docker://` step containers. */
  dir: '/__eci/agent',
  binary: '/__eci/agent/eci-agent',
  token: '/__eci/agent/token',
  /** Where the hooks image keeps the binary the init container installs from. */
  imageBinary: '/usr/local/bin/eci-agent',
  /**
   * Sockets and state dirs, relative to the workspace root. Not under `_temp`: the runner empties `_temp` at the
   * start of every job (actions/runner TempDirectoryManager.InitializeTempDirectory), which would unlink the sockets.
   */
  agentsDir: '_eci/agents',
} as const;

/** sun_path holds 108 bytes including the terminating NUL. */
export const UNIX_SOCKET_PATH_MAX = 107;

/** The agent socket of `container`, under a workspace root (`/__w` in job containers, the runner's `_work`). */
export const agentSocketPath = (workspace: string, container: string): string =>
  `${workspace}/${AGENT.agentsDir}/${container}.sock`;

/** The agent's state dir (step logs and results) of `container`, under a workspace root. */
export const agentStateDir = (workspace: string, container: string): string =>
  `${workspace}/${AGENT.agentsDir}/${container}`;

/** The command of a container whose steps run through its agent: idle (no main process) until asked. */
export function agentServeCommand(container: string): string[] {
  return [
    AGENT.binary,
    'serve',
    '--socket',
    agentSocketPath(PATHS.workspace, container),
    '--token-file',
    AGENT.token,
    '--state-dir',
    agentStateDir(PATHS.workspace, container),
  ];
}

/**
 * The command of a `services:` container: the agent holds it until prepare_job sends the runner's evaluated env
 * (`POST /v1/main`), then runs the image's own ENTRYPOINT (after `--` here) + CMD (the container's `args`, which
 * Kubernetes appends), so no evaluated value — secrets included — is ever in the pod spec.
 */
export function agentHoldCommand(container: string, entrypoint: readonly string[]): string[] {
  return [...agentServeCommand(container), '--hold', '--', ...entrypoint];
}

/** Whether a container of a pod spec is held by its agent until prepare_job starts its main process. */
export function heldByAgent(c: { command?: readonly string[] }): boolean {
  if (!servesAgent(c)) return false;
  const command = c.command ?? [];
  const dash = command.indexOf('--');
  return (dash < 0 ? command : command.slice(0, dash)).includes('--hold');
}

/** The image's ENTRYPOINT and CMD a held container runs by default, read back from its pod spec. */
export function heldDefault(c: { command?: readonly string[]; args?: readonly string[] }): {
  entrypoint: string[];
  cmd: string[];
} {
  const command = c.command ?? [];
  const dash = command.indexOf('--');
  return { entrypoint: dash < 0 ? [] : command.slice(dash + 1), cmd: [...(c.args ?? [])] };
}

/** The init container's command (no shell needed): copy the binary onto the volume and create the pod's token. */
export const agentInstallCommand = (): string[] => [AGENT.imageBinary, 'install', AGENT.dir];

/** Whether a container of a pod spec serves an agent (pods made by an older controller have none). */
export const servesAgent = (c: { command?: readonly string[] }): boolean =>
  c.command?.[0] === AGENT.binary && c.command[1] === 'serve';
