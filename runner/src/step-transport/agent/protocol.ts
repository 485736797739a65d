/**
 * The wire contract of the in-pod step agent (runner/agent, Go): endpoints, request and answer shapes, error bodies
 * and the files it keeps on the shared emptyDir. Pure types and constants; the Go side is the other half.
 */
import type { ErrorCode } from '@eci-virtual/contract';

/**
 * The endpoints, on the agent's unix socket and, with `serve --listen`, on TCP. Everything but `health` needs
 * `Authorization: Bearer <token>`.
 */
export const AGENT_ROUTES = {
  health: '/v1/healthz',
  main: '/v1/main',
  steps: '/v1/steps',
  step: (id: string) => `/v1/steps/${encodeURIComponent(id)}`,
  output: (id: string, offset: number) => `/v1/steps/${encodeURIComponent(id)}/output?offset=${offset}`,
  cancel: (id: string) => `/v1/steps/${encodeURIComponent(id)}/cancel`,
  /** PUT a tar to extract into `dir`; GET a tar of `dir`'s contents. `dir` is absolute, under the agent's roots. */
  files: (dir: string) => `/v1/files?dir=${encodeURIComponent(dir)}`,
} as const;

/** `PUT /v1/files`: the non-directory entries written (files and links) and the bytes of file content. */
export interface FilesResult {
  files: number;
  bytes: number;
}

/** Step ids are one path element on the emptyDir. */
export const STEP_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** A command the agent runs with execve: no shell, no re-quoting. */
export interface AgentCommand {
  /** argv[0] is looked up on the command's PATH unless it contains a slash. */
  argv: string[];
  /** The environment (plus PATH): nothing of the agent's own is inherited unless `inheritEnv` is set. */
  env: Record<string, string>;
  /**
   * Start from the container's own environment (the image's ENV and the pod spec's env, as the agent got them) and
   * put `env` on top, as `docker exec -e` does. Default false: exactly `env`.
   */
  inheritEnv?: boolean;
  /** Must exist; omitted = the container's working directory. */
  workingDir?: string;
  /**
   * Put in front of PATH in the order given (the first entry wins). PATH itself is `env.PATH` when given, else the
   * container's own (the image's ENV PATH).
   */
  prependPath?: string[];
  /**
   * Created in order before the process starts (and before `workingDir` is checked): parent directories are made,
   * an existing symlink or empty directory at `path` is replaced; a file or non-empty directory fails the step
   * (exit code 1, the reason in its log). For images without a shell to run `ln`.
   */
  symlinks?: Symlink[];
}

/** `path` (absolute, clean) becomes a symbolic link to `target`. */
export interface Symlink {
  path: string;
  target: string;
}

export interface StepRequest extends AgentCommand {
  /** Unique per agent; an identical retry returns the existing step, a different request with it is a Conflict. */
  id: string;
}

/** `POST /v1/main`: argv may be omitted to run the argv given after `--` on the agent's command line. */
export type MainRequest = Omit<AgentCommand, 'argv'> & { argv?: string[] };

export interface StepStatus {
  id: string;
  state: 'running' | 'exited';
  /** Present once exited: the process's exit code, 128+signo when a signal killed it. */
  exitCode?: number;
  /** The signal that killed the step's process, e.g. "SIGTERM". */
  signal?: string;
  cancelled?: boolean;
  /** Log bytes so far; final once exited. */
  bytes: number;
  /** Process (and process group) id while running. */
  pid?: number;
  /** The step's directory as the agent's container sees it. */
  dir: string;
}

/** A step that has exited, as `followOutput` and `wait` return it. */
export type StepResult = StepStatus & { state: 'exited'; exitCode: number };

export interface MainStatus {
  state: 'running' | 'exited';
  pid?: number;
  exitCode?: number;
}

export interface AgentErrorBody {
  error: { code: ErrorCode; message: string };
}

/**
 * Files in `<state-dir>/steps/<id>/`. `log` is stdout+stderr in write order (one pipe, like `2>&1`), append-only,
 * so a byte offset names the same byte forever; `result` (JSON, {@link ResultFile}) appears atomically once the
 * step exited and the log is complete and fsynced; `late.log` takes the first MiB that processes left running by
 * the step write after it finished.
 */
export const STEP_FILES = { log: 'log', result: 'result', late: 'late.log' } as const;

export interface ResultFile {
  exitCode: number;
  signal?: string;
  cancelled?: boolean;
  bytes: number;
}

export const stepDir = (stateDir: string, id: string): string => `${stateDir}/steps/${id}`;
