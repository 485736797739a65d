// Test-only stand-in for the controller's portal API: serves the fixtures (src/__fixtures__) as
// GET /v1/jobs?repo=…, GET /v1/settings?repo=…, GET /v1/image-cache/autopilot?repo=… and
// GET /v1/aggregates?repo=…[&days=N][&repository=owner/name], with
// the controller's bearer check, its 400s for a bad query and its error body. Used to prove
// the dev page + browser helper without a cluster; the real-controller e2e points the page at the controller instead.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { aggregatesResponse, autopilotResponse, jobsResponse, settingsResponse } from '../src/__fixtures__/jobs.js';
import type { AggregatesResponse, JobsResponse, SettingsResponse } from '@eci-virtual/contract';

export interface FixtureServerOptions {
  /** Required bearer token; requests without it get 401. */
  token: string;
  /** Answers per repo; a repo not listed gets an empty jobs list and the default settings. */
  jobs?: Record<string, JobsResponse>;
  settings?: SettingsResponse;
  /** `/v1/aggregates` answers per repo; a repo not listed gets an empty window. */
  aggregates?: Record<string, AggregatesResponse>;
  /** Send permissive CORS headers (for a page served from another origin). */
  cors?: boolean;
  port?: number;
}

export interface FixtureServer {
  url: string;
  /** Requests seen, e.g. "GET /v1/jobs?repo=acme%2Fwidgets 200". */
  log: string[];
  close(): Promise<void>;
}

export async function startFixtureServer(options: FixtureServerOptions): Promise<FixtureServer> {
  const jobs = options.jobs ?? { 'acme/widgets': jobsResponse() };
  const aggregates = options.aggregates ?? { 'acme/widgets': aggregatesResponse() };
  const log: string[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (options.cors) {
      headers['access-control-allow-origin'] = '*';
      headers['access-control-allow-headers'] = 'authorization, accept';
    }
    const send = (status: number, body: unknown) => {
      log.push(`${req.method} ${url.pathname}${url.search} ${status}`);
      res.writeHead(status, headers).end(JSON.stringify(body));
    };
    const fail = (status: number, code: string, message: string) => send(status, { error: { code, message } });

    if (req.method === 'OPTIONS' && options.cors) {
      log.push(`OPTIONS ${url.pathname} 204`);
      res.writeHead(204, headers).end();
      return;
    }
    if (req.headers.authorization !== `Bearer ${options.token}`) return fail(401, 'unauthorized', 'bad portal token');
    const repo = url.searchParams.get('repo') ?? '';
    if (!/^[^/\s]+\/[^/\s]+$/.test(repo)) return fail(400, 'invalid_input', 'repo must be owner/name');
    if (req.method !== 'GET') return fail(400, 'invalid_input', 'GET only');
    if (url.pathname === '/v1/jobs') {
      const answer = jobs[repo] ?? {
        repo,
        generatedAt: new Date().toISOString(),
        summary: { jobs7d: 0, totalCostUsd: 0, running: 0 },
        jobs: [],
      };
      return send(200, answer);
    }
    if (url.pathname === '/v1/aggregates') {
      const days = url.searchParams.get('days') ?? '30';
      if (!/^\d{1,3}$/.test(days) || Number(days) < 1 || Number(days) > 366)
        return fail(400, 'invalid_input', `days must be a whole number of days in 1..366, got "${days}"`);
      const repository = url.searchParams.get('repository');
      if (repository !== null && !/^[^/\s]+\/[^/\s]+$/.test(repository))
        return fail(400, 'invalid_input', `repository must be owner/name, got "${repository}"`);
      const answer = aggregates[repo] ?? {
        repo,
        generatedAt: new Date().toISOString(),
        from: new Date(Date.now() - Number(days) * 86_400_000).toISOString(),
        to: new Date().toISOString(),
        perDay: [],
        perRepository: [],
        perRepositoryDay: [],
      };
      return send(200, {
        ...answer,
        perRepositoryDay: answer.perRepositoryDay.filter((d) => repository === null || d.repo === repository),
      });
    }
    if (url.pathname === '/v1/settings') return send(200, { ...(options.settings ?? settingsResponse), repo });
    if (url.pathname === '/v1/image-cache/autopilot') return send(200, { ...autopilotResponse, repo });
    return fail(404, 'not_found', `no route ${url.pathname}`);
  });
  server.on('connection', (socket) => socket.setNoDelay(true));
  await new Promise<void>((resolveListen) => server.listen(options.port ?? 0, '127.0.0.1', resolveListen));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    close: () =>
      new Promise<void>((resolveClose) => {
        server.closeAllConnections();
        server.close(() => resolveClose());
      }),
  };
}
