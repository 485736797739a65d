/**
 * HTTP/1.1 to one agent over its unix socket, its TCP port (a workload pod's agent) or streams a connector opens
 * (endpoint.ts): JSON calls, the raw output stream and raw bodies (tar) both ways, on a keep-alive pool, with every
 * failure mapped into the shared error vocabulary (errors.ts) — connection trouble is `Unavailable`, the agent's own
 * answers keep the code it sent. Nothing here retries except a request that found its pooled connection closed.
 */
import http from 'node:http';
import { PassThrough, type Readable } from 'node:stream';
import {
  AlreadyExists,
  Cancelled,
  Conflict,
  EciVirtualError,
  Forbidden,
  Internal,
  InvalidInput,
  MissingTool,
  NotFound,
  Throttled,
  Timeout,
  Unauthorized,
  Unavailable,
  type ErrorCode,
} from '@eci-virtual/contract';
import { endpointAgent, endpointName, endpointTarget, type AgentEndpoint } from './endpoint.js';
import type { AgentErrorBody } from './protocol.js';

/** Where the agent is (endpoint.ts: its unix socket, or a connector) and how to talk to it. */
export type AgentHttpOptions = AgentEndpoint & AgentHttpSettings;

export interface AgentHttpSettings {
  /** The pod's token (the agent's --token-file). */
  token: string;
  /** Per JSON call (default 30 s); output streams have no timeout. */
  timeoutMs?: number;
  /** Connections kept to a unix socket (default 16: a few followers plus calls); a connector gets exactly one. */
  maxSockets?: number;
}

const ERRORS: Record<ErrorCode, new (message: string, options?: { cause?: unknown }) => EciVirtualError> = {
  NotFound,
  AlreadyExists,
  Conflict,
  InvalidInput,
  Unauthorized,
  Forbidden,
  Throttled,
  Unavailable,
  Timeout,
  Cancelled,
  MissingTool,
  Internal,
};

/** The error an agent answer stands for: the code it sent, else one derived from the status. */
export function agentError(status: number, body: string): EciVirtualError {
  let code: ErrorCode | undefined;
  let message = body.trim() || `HTTP ${status}`;
  try {
    const parsed = JSON.parse(body) as Partial<AgentErrorBody>;
    if (parsed.error && parsed.error.code in ERRORS) {
      code = parsed.error.code;
      message = parsed.error.message;
    }
  } catch {
    // not JSON: keep the status-derived code
  }
  code ??=
    status === 401
      ? 'Unauthorized'
      : status === 404
        ? 'NotFound'
        : status === 409
          ? 'Conflict'
          : status === 429
            ? 'Throttled'
            : status === 503
              ? 'Unavailable'
              : status >= 400 && status < 500
                ? 'InvalidInput'
                : 'Internal';
  return new ERRORS[code](`agent: ${message}`);
}

/** A failure below HTTP (no socket, connection reset, cut body) or an abort, in the shared vocabulary. */
function connectionError(err: unknown, where: string, signal?: AbortSignal): EciVirtualError {
  if (err instanceof EciVirtualError) return err;
  if (signal?.aborted) return new Cancelled('agent request cancelled', { cause: err });
  const code = (err as NodeJS.ErrnoException).code;
  return new Unavailable(`agent at ${where} unreachable: ${code ?? (err as Error).message}`, { cause: err });
}

const is2xx = (status: number) => status >= 200 && status < 300;

export class AgentHttp {
  private readonly agent: http.Agent;
  private readonly auth: string;
  private readonly where: string;
  /** Where node:http sends requests: the socket, or host and port; nothing when the pool opens connections. */
  private readonly target: object;

  constructor(private readonly opts: AgentHttpOptions) {
    this.target = endpointTarget(opts);
    this.agent = endpointAgent(opts, opts.maxSockets ?? 16);
    this.auth = `Bearer ${opts.token}`;
    this.where = endpointName(opts);
  }

  /** node:http options for one request to the agent: its endpoint, the pool, the token, and `extra` headers. */
  private requestOptions(
    method: string,
    path: string,
    signal: AbortSignal | undefined,
    extra: http.OutgoingHttpHeaders = {},
  ): http.RequestOptions {
    return {
      ...this.target,
      agent: this.agent,
      method,
      path,
      headers: { Authorization: this.auth, ...extra },
      ...(signal ? { signal } : {}),
    };
  }

  /** One JSON call; resolves with the parsed answer of a 2xx, rejects with the mapped error otherwise. */
  async json<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    for (let attempt = 0; ; attempt++) {
      try {
        const { status, text } = await this.once(method, path, payload, signal);
        if (status >= 200 && status < 300) return JSON.parse(text) as T;
        throw agentError(status, text);
      } catch (err) {
        // A keep-alive socket the agent closed while idle fails on first use; every call is idempotent, so retry once.
        const e = err as NodeJS.ErrnoException & { reusedSocket?: boolean };
        if (attempt === 0 && e.reusedSocket && (e.code === 'ECONNRESET' || e.code === 'EPIPE')) continue;
        throw connectionError(err, this.where, signal);
      }
    }
  }

  private once(
    method: string,
    path: string,
    payload: Buffer | undefined,
    signal?: AbortSignal,
  ): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        this.requestOptions(method, path, signal, {
          ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': String(payload.length) } : {}),
        }),
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.setTimeout(this.opts.timeoutMs ?? 30_000, () =>
        req.destroy(new Timeout(`agent ${method} ${path} took over ${this.opts.timeoutMs ?? 30_000} ms`)),
      );
      req.on('error', (err) => reject(Object.assign(err, { reusedSocket: req.reusedSocket })));
      req.end(payload);
    });
  }

  /**
   * Streams a response body to onChunk. Resolves when the body ended completely; rejects `Unavailable` when the
   * connection dropped first (the caller resumes by offset), or with the agent's error for a non-2xx answer.
   */
  stream(path: string, onChunk: (chunk: Buffer) => void, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const fail = (err: unknown) => reject(connectionError(err, this.where, signal));
      const req = http.request(this.requestOptions('GET', path, signal), (res) => {
        const status = res.statusCode ?? 0;
        if (status < 200 || status >= 300) {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => reject(agentError(status, Buffer.concat(chunks).toString('utf8'))));
          res.on('error', fail);
          return;
        }
        res.on('data', (c: Buffer) => {
          try {
            onChunk(c);
          } catch (err) {
            req.destroy();
            reject(err);
          }
        });
        res.on('error', fail);
        // `complete` is false when the connection closed before the terminating chunk: a drop, not an end.
        res.on('close', () => (res.complete ? resolve() : fail(new Error('output stream cut'))));
      });
      req.on('error', fail);
      req.end();
    });
  }

  /**
   * Sends a raw body (a Buffer, or a stream piped as it comes, chunked) and resolves with the parsed JSON answer of
   * a 2xx. Not retried: a stream can be read only once. An answer that arrives before the body was all sent (the
   * agent refusing early, e.g. 413) is the result; a body stream that fails aborts the request with its error.
   */
  upload<T>(
    method: string,
    path: string,
    body: Buffer | NodeJS.ReadableStream,
    contentType: string,
    signal?: AbortSignal,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let answered = false;
      let bodyFailed: unknown;
      const fail = (err: unknown) => {
        if (!answered) reject(bodyFailed ?? connectionError(err, this.where, signal));
      };
      const req = http.request(
        this.requestOptions(method, path, signal, {
          'Content-Type': contentType,
          ...(Buffer.isBuffer(body) ? { 'Content-Length': String(body.length) } : {}),
        }),
        (res) => {
          answered = true;
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (err) => reject(connectionError(err, this.where, signal)));
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            const text = Buffer.concat(chunks).toString('utf8');
            if (!is2xx(status)) return reject(agentError(status, text));
            try {
              resolve(JSON.parse(text) as T);
            } catch (err) {
              reject(new Internal(`agent ${method} ${path}: the answer is not JSON`, { cause: err }));
            }
          });
        },
      );
      req.setTimeout(this.opts.timeoutMs ?? 30_000, () =>
        req.destroy(new Timeout(`agent ${method} ${path}: no progress for ${this.opts.timeoutMs ?? 30_000} ms`)),
      );
      req.on('error', fail);
      if (Buffer.isBuffer(body)) {
        req.end(body);
        return;
      }
      body.on('error', (err) => {
        bodyFailed =
          err instanceof EciVirtualError ? err : new Internal(`the body of ${method} ${path} failed: ${err.message}`);
        req.destroy(err);
        fail(err);
      });
      body.pipe(req);
    });
  }

  /**
   * Opens a raw response body (a 2xx) as a stream; a non-2xx answer rejects with the agent's error. A body cut
   * before its end makes the stream fail with `Unavailable`, never end as if complete.
   */
  download(path: string, signal?: AbortSignal): Promise<Readable> {
    return new Promise<Readable>((resolve, reject) => {
      const req = http.request(this.requestOptions('GET', path, signal), (res) => {
        const status = res.statusCode ?? 0;
        if (!is2xx(status)) {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => reject(agentError(status, Buffer.concat(chunks).toString('utf8'))));
          res.on('error', (err) => reject(connectionError(err, this.where, signal)));
          return;
        }
        const out = new PassThrough();
        const cut = (err?: unknown) =>
          out.destroy(connectionError(err ?? new Error(`the body of GET ${path} was cut`), this.where, signal));
        res.on('error', cut);
        res.on('close', () => {
          if (!res.complete) cut();
        });
        res.pipe(out);
        resolve(out);
      });
      req.on('error', (err) => reject(connectionError(err, this.where, signal)));
      req.end();
    });
  }

  /** Closes pooled connections; calls in flight fail. */
  close(): void {
    this.agent.destroy();
  }
}
