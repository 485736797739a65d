/**
 * The typed client of the in-pod step agent (runner/agent): what the hooks and the CLI use to start a container's
 * main process and to run steps in it. Output is followed by byte offset and resumed after a dropped connection, so
 * no byte is lost or repeated; the exit code only ever comes from the agent's record of the process (never from a
 * stream that merely ended), so a drop cannot turn a failure green.
 *
 *   const agent = new AgentClient({ socketPath, token });   // or { host, port, token } for `serve --listen`
 *   await agent.startStep({ id, argv: ['bash', '-e', script], env, workingDir: '/__w/repo/repo' });
 *   const { exitCode } = await agent.followOutput(id, 0, (chunk) => process.stdout.write(chunk), signal);
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Cancelled, EciVirtualError, Internal, InvalidInput, Unavailable, describeError } from '@eci-virtual/contract';
import { AgentHttp, type AgentHttpOptions } from './http.js';
import {
  AGENT_ROUTES,
  STEP_ID_PATTERN,
  type FilesResult,
  type MainRequest,
  type MainStatus,
  type StepRequest,
  type StepResult,
  type StepStatus,
} from './protocol.js';

export interface AgentClientOptions extends AgentHttpOptions {
  /** Reconnects in a row without receiving a byte before followOutput gives up (default 8, backing off to 2 s). */
  maxReconnects?: number;
}

/** Failures worth another connection: the agent or the path to it is briefly away. */
const transient = (err: unknown) =>
  err instanceof EciVirtualError && (err.code === 'Unavailable' || err.code === 'Timeout');

export class AgentClient {
  private readonly http: AgentHttp;
  private readonly maxReconnects: number;

  constructor(opts: AgentClientOptions) {
    this.http = new AgentHttp(opts);
    this.maxReconnects = opts.maxReconnects ?? 8;
  }

  /** Whether the agent answers (no token needed); never throws. */
  async health(signal?: AbortSignal): Promise<boolean> {
    try {
      await this.http.json<{ ok: boolean }>('GET', AGENT_ROUTES.health, undefined, signal);
      return true;
    } catch {
      return false;
    }
  }

  /** Starts the held main process (a service's entrypoint with its evaluated env). Idempotent for an equal request. */
  startMain(req: MainRequest, signal?: AbortSignal): Promise<MainStatus> {
    return this.http.json<MainStatus>('POST', AGENT_ROUTES.main, req, signal);
  }

  /**
   * Starts a step. Idempotent: retrying the same request returns the existing step (so a caller that lost the answer
   * may simply ask again); a different request with the same id is `Conflict`.
   */
  async startStep(req: StepRequest, signal?: AbortSignal): Promise<StepStatus> {
    if (!STEP_ID_PATTERN.test(req.id)) throw new InvalidInput(`step id ${JSON.stringify(req.id)} is not a valid id`);
    return this.http.json<StepStatus>('POST', AGENT_ROUTES.steps, req, signal);
  }

  /** The step as the agent sees it now. */
  status(id: string, signal?: AbortSignal): Promise<StepStatus> {
    return this.http.json<StepStatus>('GET', AGENT_ROUTES.step(id), undefined, signal);
  }

  /** Waits until the step has exited and returns its result (follows the output from its current end, unread). */
  async result(id: string, signal?: AbortSignal): Promise<StepResult> {
    const now = await this.status(id, signal);
    return exitedResult(now) ?? this.followOutput(id, now.bytes, () => undefined, signal);
  }

  /**
   * Delivers the step's output from byte `fromOffset` to onChunk, live, until the step has exited and every byte
   * was delivered; returns its result. A dropped connection resumes at the last byte received, so each byte arrives
   * exactly once. Gives up with `Unavailable` after maxReconnects attempts in a row that brought nothing.
   */
  async followOutput(
    id: string,
    fromOffset: number,
    onChunk: (chunk: Buffer) => void,
    signal?: AbortSignal,
  ): Promise<StepResult> {
    let offset = fromOffset;
    let fruitless = 0;
    for (;;) {
      if (signal?.aborted) throw new Cancelled(`following step ${id} cancelled`);
      const before = offset;
      let failure: unknown;
      try {
        await this.http.stream(
          AGENT_ROUTES.output(id, offset),
          (chunk) => {
            offset += chunk.length;
            onChunk(chunk);
          },
          signal,
        );
      } catch (err) {
        if (!transient(err)) throw err;
        failure = err;
      }
      // The end of the body is not the result: only the agent's status says the step exited, and with how many bytes.
      let status: StepStatus | undefined;
      try {
        status = await this.status(id, signal);
      } catch (err) {
        if (!transient(err)) throw err;
        failure ??= err;
      }
      const done = status && exitedResult(status);
      if (done && done.bytes === offset) return done;
      if (status && status.bytes < offset)
        throw new Internal(`step ${id}: received ${offset} bytes but the agent has ${status.bytes}`);
      fruitless = offset > before ? 0 : fruitless + 1;
      if (fruitless > this.maxReconnects)
        throw new Unavailable(
          `lost the output stream of step ${id} ${fruitless} times in a row at byte ${offset}` +
            (failure ? `; last error: ${describeError(failure)}` : ''),
        );
      if (fruitless > 0) await sleep(Math.min(50 * 2 ** (fruitless - 1), 2_000), undefined, { signal }).catch(() => {});
    }
  }

  /**
   * Starts a step and follows it to its result. When `signal` aborts, the step is cancelled (SIGTERM to its
   * process group, SIGKILL after graceSeconds) and `Cancelled` is thrown.
   */
  async run(
    req: StepRequest,
    onChunk: (chunk: Buffer) => void,
    opts: { signal?: AbortSignal; graceSeconds?: number } = {},
  ): Promise<StepResult> {
    await this.startStep(req, opts.signal);
    try {
      return await this.followOutput(req.id, 0, onChunk, opts.signal);
    } catch (err) {
      if (opts.signal?.aborted) {
        await this.cancel(req.id, opts.graceSeconds).catch(() => undefined);
        throw new Cancelled(`step ${req.id} cancelled`, { cause: err });
      }
      throw err;
    }
  }

  /** SIGTERM to the step's process group, SIGKILL after graceSeconds (agent default 5). Returns at once. */
  cancel(id: string, graceSeconds?: number, signal?: AbortSignal): Promise<StepStatus> {
    return this.http.json<StepStatus>(
      'POST',
      AGENT_ROUTES.cancel(id),
      graceSeconds === undefined ? {} : { graceSeconds },
      signal,
    );
  }

  /**
   * Extracts a tar (POSIX/GNU: files, directories, symbolic and hard links; modes and mtimes kept) into `dir` on
   * the agent's container, creating it. `dir` must lie under one of the agent's `--files-root`s (else `Forbidden`);
   * an entry leading outside it is refused; a body over `--max-files-bytes` is `InvalidInput` (413). Not retried.
   */
  putFiles(dir: string, tar: NodeJS.ReadableStream | Buffer, signal?: AbortSignal): Promise<FilesResult> {
    return this.http.upload<FilesResult>('PUT', AGENT_ROUTES.files(dir), tar, 'application/x-tar', signal);
  }

  /**
   * A tar of `dir`'s contents on the agent's container (directories, files, symbolic links; never following a
   * link). `NotFound` when dir is missing; a stream cut midway fails with `Unavailable` rather than end.
   */
  getFiles(dir: string, signal?: AbortSignal): Promise<NodeJS.ReadableStream> {
    return this.http.download(AGENT_ROUTES.files(dir), signal);
  }

  /** Closes the connections to the agent. */
  close(): void {
    this.http.close();
  }
}

function exitedResult(s: StepStatus): StepResult | undefined {
  return s.state === 'exited' && s.exitCode !== undefined ? { ...s, state: 'exited', exitCode: s.exitCode } : undefined;
}
