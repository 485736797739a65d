/**
 * The controller's one HTTP listener: `POST /webhook` (GitHub), `GET /v1/*` (portal), `/healthz`, `/readyz`,
 * `/metrics`. Bodies are capped (GitHub's webhook limit is 25 MB; job events are a few KB, we allow 1 MB).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '../observability/logger.js';
import type { WebhookHandler } from './intake/webhook-handler.js';
import type { ControllerMetrics } from './metrics.js';
import type { PortalApi } from './portal-api/routes.js';
import type { WorkloadService } from './workloads/workload-service.js';
import { WORKLOAD_ROUTES } from '@eci-virtual/contract';

const MAX_BODY = 1024 * 1024;
/**
 * An oversized body is read to its end and dropped, so the sender gets its 413 instead of a connection reset (a
 * server that stops reading and closes leaves the client writing into a dead socket). Past this, or when a declared
 * length says so at once, the connection is closed after the 413 instead: GitHub's own webhook limit is 25 MB.
 */
const DRAIN_LIMIT = 32 * 1024 * 1024;

/** The request body, `undefined` when it is larger than MAX_BODY (the caller answers 413). */
function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length'] ?? 0) > DRAIN_LIMIT) return resolve(undefined);
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
      else if (size > DRAIN_LIMIT) resolve(undefined);
    });
    req.on('end', () => resolve(size > MAX_BODY ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function tooLarge(req: IncomingMessage, res: ServerResponse): void {
  // Still unread (a declared length past DRAIN_LIMIT, or a body that kept coming): close once the answer is out.
  if (!req.complete) res.setHeader('connection', 'close');
  send(res, 413, { error: { code: 'invalid_input', message: `body too large (the limit is ${MAX_BODY} bytes)` } });
  if (!req.complete) res.on('finish', () => req.destroy());
}

function send(res: ServerResponse, status: number, body: unknown, type = 'application/json'): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(text);
}

async function workloadRoute(
  workloads: Pick<WorkloadService, 'request' | 'release'>,
  req: IncomingMessage,
  path: string,
): Promise<{ status: number; body: unknown } | undefined> {
  if (req.method === 'POST' && path === WORKLOAD_ROUTES.request) {
    const body = await readBody(req);
    if (!body)
      return {
        status: 413,
        body: { error: { code: 'invalid_input', message: `body too large (the limit is ${MAX_BODY} bytes)` } },
      };
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      return { status: 400, body: { error: { code: 'invalid_input', message: 'body is not JSON' } } };
    }
    return workloads.request(req.headers.authorization, parsed);
  }
  const pod = /^\/v1\/workloads\/([a-z0-9-]+)$/.exec(path)?.[1];
  if (req.method === 'DELETE' && pod) return workloads.release(req.headers.authorization, pod);
  return undefined;
}

export function startHttpServer(opts: {
  host: string;
  port: number;
  webhook: WebhookHandler;
  portal: PortalApi;
  /** `POST /v1/workloads`, `DELETE /v1/workloads/{pod}` (runner pods' hooks; controller/workloads/). */
  workloads?: Pick<WorkloadService, 'request' | 'release'>;
  metrics: ControllerMetrics;
  ready: () => boolean;
  log: Logger;
}): Promise<Server> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://controller');
    void (async () => {
      try {
        if (req.method === 'POST' && url.pathname === '/webhook') {
          const body = await readBody(req);
          if (!body) return tooLarge(req, res);
          const r = await opts.webhook.handle(req.headers, body);
          return send(res, r.status, r.body);
        }
        if (req.method === 'GET' && url.pathname === '/healthz') return send(res, 200, 'ok', 'text/plain');
        if (req.method === 'GET' && url.pathname === '/readyz')
          return opts.ready() ? send(res, 200, 'ok', 'text/plain') : send(res, 503, 'not ready', 'text/plain');
        if (req.method === 'GET' && url.pathname === '/metrics')
          return send(res, 200, await opts.metrics.registry.metrics(), opts.metrics.registry.contentType);
        if (opts.workloads && url.pathname.startsWith(WORKLOAD_ROUTES.request)) {
          const r = await workloadRoute(opts.workloads, req, url.pathname);
          if (r) return send(res, r.status, r.body);
        }
        if (url.pathname.startsWith('/v1/')) {
          if (req.method !== 'GET')
            return send(res, 405, { error: { code: 'invalid_input', message: 'read-only API: GET only' } });
          const r = await opts.portal.handle(url.pathname, url.searchParams, req.headers.authorization);
          return send(res, r.status, r.body);
        }
        send(res, 404, { error: { code: 'not_found', message: `no route ${req.method} ${url.pathname}` } });
      } catch (err) {
        // A sender that hangs up mid-body has nobody to answer: not the controller's fault, and nothing was read.
        if (req.destroyed && !req.complete)
          return opts.log.warn('request cut off by its sender; dropped', { path: url.pathname });
        opts.log.error('request failed', { path: url.pathname, err: (err as Error).message });
        if (!res.headersSent)
          send(res, 500, { error: { code: 'internal', message: 'internal error; see controller logs' } });
      }
    })();
  });
  server.on('connection', (s) => s.setNoDelay(true));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve(server));
  });
}
