/**
 * The kubelet HTTPS API of a virtual node: what the API server calls for `kubectl logs/exec/attach`, plus the
 * read-only endpoints (/pods, /runningpods/, /stats/summary, /metrics, /healthz). Every request is authenticated and
 * authorized (see auth.ts) except /healthz. Streaming upgrades (SPDY/3.1, WebSocket) go to `streams`.
 */
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { describeError, EciVirtualError, NotFound } from '@eci-virtual/contract';
import type { Logger } from '../../observability/logger.js';
import type { Backend, PodRef } from '../backends/backend.js';
import type { PodController } from '../pods/pod-controller.js';
import { subresourceFor, verbFor, type Authorizer } from './auth.js';
import { logOptions } from './query.js';
import type { ServingCert } from './serving-cert.js';
import { CpuRates, resourceMetrics, summary, takeSnapshot } from './stats.js';

/** Handles an upgraded exec/attach request; owns the socket from then on. */
export type StreamHandler = (
  kind: 'exec' | 'attach',
  segments: string[],
  query: URLSearchParams,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
) => Promise<void>;

export interface KubeletApiOptions {
  port: number;
  host: string;
  cert: ServingCert;
  /** PEM bundle of CAs whose client certificates we accept (the API server's kubelet-client cert). */
  clientCa?: string;
  nodeName: string;
  pods: PodController;
  backend: Backend;
  auth: Authorizer;
  metrics: Registry;
  streams: StreamHandler;
  log: Logger;
}

const STATUS: Record<string, number> = {
  NotFound: 404,
  InvalidInput: 400,
  Unauthorized: 401,
  Forbidden: 403,
  Throttled: 429,
  Unavailable: 503,
  Timeout: 504,
};

export function httpStatus(err: unknown): number {
  return err instanceof EciVirtualError ? (STATUS[err.code] ?? 500) : 500;
}

export class KubeletApi {
  private server: https.Server | undefined;
  private readonly startedAt = new Date();
  private readonly rates = new CpuRates();

  constructor(private readonly opts: KubeletApiOptions) {}

  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? this.opts.port;
  }

  async listen(): Promise<void> {
    const server = https.createServer({
      cert: this.opts.cert.cert,
      key: this.opts.cert.key,
      ...(this.opts.clientCa ? { ca: this.opts.clientCa } : {}),
      requestCert: true,
      rejectUnauthorized: false, // bearer-token callers have no client cert; auth.ts decides
    });
    server.on('request', (req, res) => void this.handle(req, res));
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => void this.upgrade(req, socket, head));
    // Loopback round trips must not wait for Nagle (≈40 ms per small write).
    server.on('secureConnection', (socket) => socket.setNoDelay(true));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host, () => resolve());
    });
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async admit(req: IncomingMessage, path: string): Promise<void> {
    const caller = await this.opts.auth.authenticate(req);
    await this.opts.auth.authorize(caller, verbFor(req.method), subresourceFor(path));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://kubelet');
    const path = url.pathname;
    try {
      if (path === '/healthz') return text(res, 200, 'ok');
      await this.admit(req, path);
      const segments = path.split('/').filter(Boolean).map(decodeURIComponent);
      switch (segments[0]) {
        case 'pods':
          return json(res, 200, { kind: 'PodList', apiVersion: 'v1', metadata: {}, items: this.opts.pods.pods() });
        case 'runningpods':
          return json(res, 200, {
            kind: 'PodList',
            apiVersion: 'v1',
            metadata: {},
            items: this.opts.pods.runningPods(),
          });
        case 'containerLogs':
          return await this.logs(segments.slice(1), url.searchParams, req, res);
        case 'stats':
          if (segments[1] !== 'summary') return text(res, 404, `no handler for ${path}`);
          return json(res, 200, await this.summary());
        case 'metrics':
          if (segments[1] === 'resource')
            return text(res, 200, resourceMetrics(await this.snapshot()), 'text/plain; version=0.0.4; charset=utf-8');
          return text(res, 200, await this.opts.metrics.metrics(), this.opts.metrics.contentType);
        case 'exec':
        case 'attach':
          return text(res, 400, `${segments[0]} needs a streaming upgrade (SPDY/3.1 or WebSocket)`);
        default:
          return text(res, 404, `no handler for ${path}`);
      }
    } catch (err) {
      const status = httpStatus(err);
      if (status >= 500) this.opts.log.warn('kubelet API request failed', { path, err: describeError(err) });
      if (!res.headersSent) text(res, status, describeError(err));
      else res.destroy();
    }
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://kubelet');
    const segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const kind = segments[0];
    try {
      await this.admit(req, url.pathname);
      if (kind !== 'exec' && kind !== 'attach') throw new NotFound(`no streaming handler for ${url.pathname}`);
      await this.opts.streams(kind, segments.slice(1), url.searchParams, req, socket, head);
    } catch (err) {
      const status = httpStatus(err);
      this.opts.log.info('stream request refused', { path: url.pathname, status, err: describeError(err) });
      if (socket.writable) {
        const body = describeError(err);
        socket.end(
          `HTTP/1.1 ${status} ${status === 404 ? 'Not Found' : 'Error'}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
        );
      }
    }
  }

  resolvePod(namespace: string, name: string): PodRef {
    const ref = this.opts.pods.find(namespace, name);
    if (!ref) throw new NotFound(`pod ${namespace}/${name} is not on node ${this.opts.nodeName}`);
    return ref;
  }

  private async logs(segments: string[], q: URLSearchParams, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const [namespace, pod, container] = segments;
    if (!namespace || !pod || !container)
      return text(res, 400, 'expected /containerLogs/{namespace}/{pod}/{container}');
    const ref = this.resolvePod(namespace, pod);
    const options = logOptions(q);
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    const stream = await this.opts.backend.containerLogs(ref, container, options, abort.signal);
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache' });
    res.flushHeaders();
    let remaining = options.limitBytes ?? Infinity;
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (abort.signal.aborted) break;
      const part = chunk.length > remaining ? chunk.subarray(0, remaining) : chunk;
      res.write(part);
      remaining -= part.length;
      if (remaining <= 0) break;
    }
    abort.abort();
    res.end();
  }

  private snapshot() {
    return takeSnapshot(this.opts.backend, this.opts.pods.pods());
  }

  private async summary(): Promise<unknown> {
    const snap = await this.snapshot();
    return summary(snap, { name: this.opts.nodeName, startTime: this.startedAt }, this.opts.pods.pods(), this.rates);
  }
}

function text(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function json(res: ServerResponse, status: number, body: unknown): void {
  text(res, status, JSON.stringify(body), 'application/json');
}
