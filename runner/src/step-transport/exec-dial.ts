/**
 * A connection to a container's step agent made of ONE Kubernetes exec running `eci-agent dial` (runner/agent
 * dial.go): the exec's stdin and stdout are the two directions of a byte stream to the agent's unix socket, and
 * AgentHttp (agent/endpoint.ts) sends its HTTP/1.1 requests over it one after the other. So `eci-virtual run` spends
 * one exec per container of a job — one `ExecContainerCommand` on ECI — plus one per reconnect after a drop (or after
 * the agent closed the connection when idle for 5 minutes), instead of one per step.
 *
 *   const dial = new ExecDial(transport, { pod, container: 'job' });
 *   const { token } = await dial.open();                 // first exec; its stream serves the first request
 *   const agent = new AgentClient({ connect: dial.connect, endpointName: dial.name, token });
 *
 * `dial` greets with one JSON line (the pod's token, which the client cannot read otherwise without a second exec);
 * nothing but HTTP follows. A container whose agent has no `dial` (an older agent image) or no agent at all fails
 * `open()` with `MissingTool`, so the caller can fall back to one exec per step.
 */
import { PassThrough } from 'node:stream';
import { AGENT, agentSocketPath, describeError, MissingTool, PATHS, Unavailable } from '@eci-virtual/contract';
import type { ExecTransport } from '../kube/exec.js';
import type { Logger } from '../observability/logger.js';
import { StreamSocket, type AgentConnect } from './agent/endpoint.js';

/** The greeting's protocol name (runner/agent/dial.go DialProto). */
export const DIAL_PROTO = 'eci-agent-dial/1';

export interface DialTarget {
  pod: { namespace: string; name: string };
  container: string;
}

/** The command the exec runs: the agent installed in the pod, bridging to this container's own agent. */
export function dialCommand(container: string): string[] {
  return [AGENT.binary, 'dial', '--socket', agentSocketPath(PATHS.workspace, container), '--token-file', AGENT.token];
}

/** Stderr kept from one dial exec for error messages (dial writes a line or two, only when it fails). */
const STDERR_KEEP = 4096;

/** One exec as one connection: bytes written go to the exec's stdin, the exec's stdout is read past the greeting. */
class ExecSocket extends StreamSocket {
  readonly stdin = new PassThrough();
  readonly abort = new AbortController();
  /** Resolves with the token once the greeting arrived; rejects when the exec ends before it. */
  readonly greeted: Promise<string>;
  private greeting: Buffer | undefined = Buffer.alloc(0);
  private settleGreeting!: { resolve: (token: string) => void; reject: (err: Error) => void };

  constructor() {
    super();
    this.greeted = new Promise((resolve, reject) => (this.settleGreeting = { resolve, reject }));
    // Never unhandled: the dialer awaits it, and a socket handed to node:http has greeted already.
    this.greeted.catch(() => undefined);
  }

  protected send(chunk: Buffer, done: (err?: Error | null) => void): void {
    this.stdin.write(chunk, (err) => done(err));
  }

  override _final(done: (err?: Error | null) => void): void {
    this.stdin.end();
    done();
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    this.abort.abort();
    this.stdin.destroy();
    this.settleGreeting.reject(err ?? new Unavailable('the dial stream closed before the agent greeted'));
    super._destroy(err, done);
  }

  /** A chunk of the exec's stdout. */
  fromExec(chunk: Buffer): void {
    if (this.greeting) {
      this.greeting = Buffer.concat([this.greeting, chunk]);
      const nl = this.greeting.indexOf(10);
      if (nl < 0) {
        if (this.greeting.length > 64 * 1024) this.destroy(new Unavailable('the dial greeting is too long'));
        return;
      }
      const line = this.greeting.subarray(0, nl).toString('utf8');
      const rest = this.greeting.subarray(nl + 1);
      this.greeting = undefined;
      let token: string | undefined;
      try {
        const hello = JSON.parse(line) as { proto?: string; token?: string };
        if (hello.proto === DIAL_PROTO && typeof hello.token === 'string') token = hello.token;
      } catch {
        // not a greeting
      }
      if (!token) {
        this.destroy(
          new Unavailable(`the dial exec did not greet as ${DIAL_PROTO}: ${JSON.stringify(line.slice(0, 80))}`),
        );
        return;
      }
      this.settleGreeting.resolve(token);
      chunk = rest;
      if (!chunk.length) return;
    }
    this.activity();
    this.push(chunk);
  }

  /** The exec ended: the agent closed the connection, dial failed, or the exec dropped. */
  execEnded(err: Error | undefined): void {
    if (this.greeting)
      this.settleGreeting.reject(err ?? new Unavailable('the dial exec ended before the agent greeted'));
    this.push(null);
    this.destroy();
  }
}

export class ExecDial {
  /** Execs started so far (each is one ExecContainerCommand on ECI). */
  execs = 0;
  readonly name: string;
  /** A connection opened by open() that no request has taken yet. */
  private spare: ExecSocket | undefined;
  private closed = false;

  constructor(
    private readonly transport: ExecTransport,
    private readonly target: DialTarget,
    private readonly log?: Logger,
  ) {
    this.name = `exec ${target.pod.namespace}/${target.pod.name}/${target.container} → eci-agent dial`;
  }

  /**
   * Opens the first connection and returns the pod's token from its greeting; the connection is kept for the
   * first request. `MissingTool` when the container has no agent that can dial.
   */
  async open(): Promise<{ token: string }> {
    const { socket, token } = await this.dial();
    this.spare = socket;
    return { token };
  }

  /** AgentHttp's connector: the spare connection first, else a new exec. */
  readonly connect: AgentConnect = async () => {
    const spare = this.spare;
    this.spare = undefined;
    if (spare && !spare.destroyed && spare.readable) return spare;
    if (this.closed) throw new Unavailable(`${this.name}: closed`);
    this.log?.info('agent stream reconnecting', { container: this.target.container, execs: this.execs + 1 });
    return (await this.dial()).socket;
  };

  /** Ends the spare connection; connections held by a client end with the client's close(). */
  close(): void {
    this.closed = true;
    this.spare?.destroy();
    this.spare = undefined;
  }

  private async dial(): Promise<{ socket: ExecSocket; token: string }> {
    const socket = new ExecSocket();
    let stderr = '';
    this.execs++;
    const { pod, container } = this.target;
    const exited = this.transport.exec(pod, container, dialCommand(container), {
      stdinStream: socket.stdin,
      stdout: (chunk) => socket.fromExec(chunk),
      stderr: (chunk) => {
        if (stderr.length < STDERR_KEEP) stderr += chunk.toString('utf8');
      },
      signal: socket.abort.signal,
    });
    exited.then(
      (code) => socket.execEnded(code === 0 ? undefined : this.dialFailure(code, stderr)),
      (err: unknown) => socket.execEnded(this.execFailure(err)),
    );
    const token = await socket.greeted;
    return { socket, token };
  }

  /** An exec that could not run `dial` at all: no agent binary at its path is MissingTool, the rest Unavailable. */
  private execFailure(err: unknown): Error {
    const message = describeError(err);
    if (/executable file not found|no such file or directory/i.test(message))
      return new MissingTool(`the container ${this.target.container} has no agent: ${message}`, {
        hint: 'steps fall back to one exec each',
        cause: err,
      });
    return err instanceof Error ? err : new Unavailable(message);
  }

  /** Why a dial exec that ran ended with `code` before or after greeting. */
  private dialFailure(code: number, stderr: string): Error {
    const said = stderr.trim().split('\n').slice(-2).join(' | ').slice(0, 300);
    // 126/127: no agent binary in the container (the shell's and the runtimes' codes); 2: an agent without `dial`
    // printed its usage (agents before dial.go).
    if (code === 126 || code === 127 || (code === 2 && /usage:/.test(stderr)))
      return new MissingTool(`the container ${this.target.container} has no agent that can dial (exit code ${code})`, {
        hint: 'the agent image predates `eci-agent dial`, or the pod has no agent; steps fall back to one exec each',
      });
    return new Unavailable(`eci-agent dial in ${this.target.container} exited ${code}${said ? `: ${said}` : ''}`);
  }
}
