/**
 * Where AgentHttp's connections to an agent go: its unix socket (the hooks, in the same pod), its TCP port (a
 * workload pod's agent, over the pod network), or byte streams that
 * a connector opens — for `eci-virtual run`, each one exec running `eci-agent dial` (step-transport/exec-dial.ts).
 * A stream endpoint gets a pool of ONE connection: the requests of a client go over it one after the other as
 * HTTP/1.1 keep-alive requests, and a new stream is opened only when the last one closed (a drop, or the agent's
 * idle timeout), so a job's steps cost one stream, not one per request.
 */
import http from 'node:http';
import { Duplex } from 'node:stream';
import { InvalidInput } from '@eci-virtual/contract';

/** What node:http needs of a connection besides being a Duplex (a net.Socket has all of it). */
export interface AgentSocket extends Duplex {
  setTimeout(ms: number, callback?: () => void): this;
  setKeepAlive(enable?: boolean, initialDelay?: number): this;
  setNoDelay(noDelay?: boolean): this;
  ref(): this;
  unref(): this;
}

/** Opens one new connection to the agent. */
export type AgentConnect = () => Promise<AgentSocket>;

/** Exactly one of the three. */
export type AgentEndpoint =
  | { socketPath: string; connect?: undefined; host?: undefined }
  /** TCP (`eci-agent serve --listen`): a workload pod's agent over the pod network. */
  | { host: string; port: number; socketPath?: undefined; connect?: undefined }
  | {
      connect: AgentConnect;
      /** Names the path to the agent in errors, e.g. `exec ns/pod/job → eci-agent dial`. */
      endpointName: string;
      socketPath?: undefined;
      host?: undefined;
    };

export const endpointName = (e: AgentEndpoint): string =>
  e.connect ? e.endpointName : e.socketPath !== undefined ? e.socketPath : `${e.host}:${e.port}`;

/** What node:http needs to reach the endpoint itself (none for a connector: its pool opens the streams). */
export function endpointTarget(e: AgentEndpoint): { socketPath: string } | { host: string; port: number } | object {
  if (e.connect) return {};
  if (e.socketPath) return { socketPath: e.socketPath };
  if (e.host && e.port) return { host: e.host, port: e.port };
  throw new InvalidInput('an agent client needs a socketPath or a host and port (or a connector)');
}

/** The pooling agent for an endpoint (see the module comment for the stream case). */
export function endpointAgent(e: AgentEndpoint, maxSockets: number): http.Agent {
  // noDelay matters only over TCP; on a unix socket or a stream there is no Nagle.
  if (!e.connect) return new http.Agent({ keepAlive: true, maxSockets, noDelay: true });
  return new StreamAgent(e.connect);
}

/** Listeners node:http gives createConnection: called once with the connection or the error. */
type OnCreate = (err: Error | null, socket?: Duplex) => void;

class StreamAgent extends http.Agent {
  constructor(private readonly open: AgentConnect) {
    super({ keepAlive: true, maxSockets: 1, maxFreeSockets: 1 });
  }

  // node:http accepts an asynchronous createConnection: return nothing and call back once connected.
  override createConnection(_options: unknown, onCreate: OnCreate): undefined {
    this.open().then(
      (socket) => onCreate(null, socket),
      (err: unknown) => onCreate(err instanceof Error ? err : new Error(String(err))),
    );
    return undefined;
  }
}

/**
 * A connection made of something that is not a socket (an exec's stdin and stdout): a Duplex with the socket
 * methods node:http calls. `setTimeout` is an inactivity timeout as on a net.Socket (reset by bytes either way);
 * subclasses call `activity()` when bytes arrive and pass what is written to `send`.
 */
export abstract class StreamSocket extends Duplex implements AgentSocket {
  private idleMs = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private referenced = true;

  constructor() {
    super({ allowHalfOpen: false });
  }

  /** Sends bytes written by node:http towards the agent. */
  protected abstract send(chunk: Buffer, done: (err?: Error | null) => void): void;

  /** Marks traffic for the inactivity timeout. */
  protected activity(): void {
    if (this.idleTimer) this.idleTimer.refresh();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    this.activity();
    this.send(chunk, done);
  }

  override _read(): void {
    // Bytes are pushed as the agent sends them; there is no source to pull from.
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    done(err);
  }

  /** As net.Socket's: 0 disarms the timer and removes `callback` (node:http relies on that to drop its listener). */
  setTimeout(ms: number, callback?: () => void): this {
    if (callback && ms === 0) this.removeListener('timeout', callback);
    else if (callback) this.once('timeout', callback);
    this.idleMs = ms;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = ms > 0 ? setTimeout(() => this.emit('timeout'), ms) : undefined;
    if (this.idleTimer && !this.referenced) this.idleTimer.unref();
    return this;
  }

  get timeout(): number {
    return this.idleMs;
  }

  setKeepAlive(): this {
    return this;
  }

  setNoDelay(): this {
    return this;
  }

  ref(): this {
    this.referenced = true;
    this.idleTimer?.ref();
    return this;
  }

  unref(): this {
    this.referenced = false;
    this.idleTimer?.unref();
    return this;
  }
}
