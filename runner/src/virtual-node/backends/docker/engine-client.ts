/**
 * A thin client for the Docker Engine API (served by Docker and by Podman's compatible socket) over a unix socket or
 * TCP. Only what the docker backend needs: JSON calls, raw streams (logs, events, pulls) and hijacked connections
 * (exec/attach with stdin). Failures map to the shared error vocabulary by HTTP status.
 */
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { Conflict, EciVirtualError, InvalidInput, NotFound, Unavailable, Internal } from '@eci-virtual/contract';

export const API_VERSION = 'v1.41';

export interface EngineRequest {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** A non-JSON body (e.g. a tar archive). */
  raw?: { data: Buffer; type: string };
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /**
   * The response lasts as long as a container or stream does (container wait, logs follow, events). Such requests
   * get their own unpooled connections: parked in the shared pool they could take every socket, and the requests
   * that would end them (starting the container they wait for) would queue behind them forever.
   */
  longLived?: boolean;
}

function mapError(status: number, message: string, what: string): EciVirtualError {
  const msg = `${what}: ${message || `HTTP ${status}`}`;
  if (status === 404) return new NotFound(msg);
  if (status === 409) return new Conflict(msg);
  if (status === 400) return new InvalidInput(msg);
  if (status >= 500) return new Unavailable(msg);
  return new Internal(msg);
}

export class EngineClient {
  private readonly agent: http.Agent;
  private readonly longLivedAgent = new http.Agent({ keepAlive: false });
  private readonly base: { socketPath?: string; host?: string; port?: number };

  /** `host`: unix:///path/to.sock or tcp://host:port (DOCKER_HOST syntax). */
  constructor(readonly host: string) {
    if (host.startsWith('unix://')) this.base = { socketPath: host.slice('unix://'.length) };
    else if (host.startsWith('tcp://') || host.startsWith('http://')) {
      const u = new URL(host.replace(/^tcp:/, 'http:'));
      this.base = { host: u.hostname, port: Number(u.port || 2375) };
    } else throw new InvalidInput(`unsupported engine address "${host}" (use unix:///path.sock or tcp://host:port)`);
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  }

  private path(path: string, query?: EngineRequest['query']): string {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) q.set(k, String(v));
    const qs = q.toString();
    return `/${API_VERSION}${path}${qs ? `?${qs}` : ''}`;
  }

  /** Sends a request and returns the raw response (status already checked). */
  async stream(method: string, path: string, req: EngineRequest = {}): Promise<http.IncomingMessage> {
    const body = req.raw?.data ?? (req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body)));
    const type = req.raw?.type ?? 'application/json';
    return new Promise((resolve, reject) => {
      const r = http.request(
        {
          ...this.base,
          agent: req.longLived ? this.longLivedAgent : this.agent,
          method,
          path: this.path(path, req.query),
          headers: {
            ...(body ? { 'Content-Type': type, 'Content-Length': body.length } : {}),
            ...req.headers,
          },
          ...(req.signal ? { signal: req.signal } : {}),
        },
        (res) => {
          const status = res.statusCode ?? 0;
          if (status < 400) return resolve(res);
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => {
            let message = text.trim();
            try {
              message = (JSON.parse(text) as { message?: string }).message ?? message;
            } catch {
              /* plain-text error */
            }
            reject(mapError(status, message, `${method} ${path}`));
          });
        },
      );
      r.on('error', (err) =>
        reject(
          req.signal?.aborted
            ? err
            : new Unavailable(`container engine at ${this.host} unreachable: ${err.message}`, { cause: err }),
        ),
      );
      r.end(body);
    });
  }

  async json<T>(method: string, path: string, req: EngineRequest = {}): Promise<T> {
    const res = await this.stream(method, path, req);
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /**
   * Starts a hijacked connection (exec/attach with stdin): the engine answers 101 and the socket then carries the
   * raw (tty) or multiplexed (no tty) stream in both directions.
   */
  async hijack(method: string, path: string, req: EngineRequest = {}): Promise<Duplex> {
    const body = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body));
    return new Promise((resolve, reject) => {
      const r = http.request({
        ...this.base,
        method,
        path: this.path(path, req.query),
        headers: {
          Connection: 'Upgrade',
          Upgrade: 'tcp',
          ...(body ? { 'Content-Type': 'application/json', 'Content-Length': body.length } : {}),
        },
      });
      r.on('upgrade', (_res, socket, head) => {
        if (head.length) socket.unshift(head);
        if ('setNoDelay' in socket) (socket as { setNoDelay: (v: boolean) => void }).setNoDelay(true);
        resolve(socket);
      });
      // Some engines answer 200 and stream without switching protocols; the response body is then the stream.
      r.on('response', (res) => {
        if ((res.statusCode ?? 0) >= 400) {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => reject(mapError(res.statusCode ?? 0, text.trim(), `${method} ${path}`)));
          return;
        }
        resolve(res.socket);
      });
      r.on('error', (err) =>
        reject(new Unavailable(`container engine at ${this.host} unreachable: ${err.message}`, { cause: err })),
      );
      r.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
