/**
 * `GET /v1/jobs`, `GET /v1/aggregates`, `GET /v1/settings` and `GET /v1/image-cache/autopilot` (wire types: portal.ts of @eci-virtual/contract),
 * token-protected, read-only. Jobs and sums come from the job history database (controller/history/); without one
 * (it could not be opened) `/v1/jobs` lists the ConfigMap records as before and `/v1/aggregates` answers 503.
 */
import { timingSafeEqual } from 'node:crypto';
import type { ControllerConfig } from '../config.js';
import type { GitHubClient } from '../github/github-client.js';
import { REPO_PATTERN } from '../github/workflow-job.js';
import type { JobHistoryStore, PageCursor } from '../history/job-history-store.js';
import type { JobRecordReader } from '../records/stored-job.js';
import { placementFor } from '../settings/repo-settings.js';
import { readRepoSettings } from '../settings/repo-settings-reader.js';
import type { Logger } from '../../observability/logger.js';
import type { KubeClients } from '../../kube/client.js';
import { imageCacheEntries, listVirtualNodes } from './image-cache-state.js';
import type { LoggedDecision } from '../image-cache-autopilot/decision-log.js';
import { autopilotView } from './autopilot-view.js';
import { percentile, summarize, toJobRecord } from './job-view.js';
import type { AggregatesResponse, JobStatus, JobsResponse, JobsSummary, SettingsResponse } from '@eci-virtual/contract';

const DAY_MS = 86_400_000;
const STATUSES: readonly JobStatus[] = ['queued', 'pending', 'running', 'succeeded', 'failed', 'cancelled'];

class BadQuery extends Error {}

const time = (query: URLSearchParams, name: string): number | undefined => {
  const v = query.get(name);
  if (v === null || v === '') return undefined;
  const t = Date.parse(v);
  if (!Number.isFinite(t)) throw new BadQuery(`${name} must be an ISO-8601 time, got "${v}"`);
  return t;
};

const cursor = (v: string | null): PageCursor | undefined => {
  if (!v) return undefined;
  const m = /^(\d+):(\d+)$/.exec(v);
  if (!m) throw new BadQuery(`after must be the "next" of a previous page, got "${v}"`);
  return { queuedAt: Number(m[1]), id: m[2]! };
};

export interface PortalResponse {
  status: number;
  body: unknown;
}

const error = (status: number, code: string, message: string): PortalResponse => ({
  status,
  body: { error: { code, message } },
});

function authorized(token: string | undefined, header: string | undefined): boolean {
  if (!token) return false;
  const given = Buffer.from(header?.replace(/^Bearer\s+/i, '') ?? '');
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}

export class PortalApi {
  constructor(
    private readonly deps: {
      config: ControllerConfig;
      records: JobRecordReader;
      /** The job history database; without it jobs are listed from `records` and there are no aggregates. */
      history?: JobHistoryStore | undefined;
      github: GitHubClient;
      log: Logger;
      /** To read the virtual nodes' cached images; without it image states are `unknown`. */
      kube?: KubeClients;
      /**
       * The image-cache autopilot's decisions of a repository, newest first (from the job history, so every replica
       * answers the same), and whether this replica leads (only the leader decides).
       */
      autopilot?: { list: (repo: string) => Promise<LoggedDecision[]>; isLeader: () => boolean };
    },
  ) {}

  async handle(path: string, query: URLSearchParams, authorization: string | undefined): Promise<PortalResponse> {
    if (!this.deps.config.portal.token)
      return error(404, 'not_found', 'the portal API is disabled (no portal token configured)');
    if (!authorized(this.deps.config.portal.token, authorization))
      return error(401, 'unauthorized', 'missing or wrong bearer token');
    const repo = query.get('repo') ?? '';
    if (!REPO_PATTERN.test(repo)) return error(400, 'invalid_input', `repo must be owner/name, got "${repo}"`);
    try {
      if (path === '/v1/jobs')
        return {
          status: 200,
          body: await (this.deps.history ? this.historyJobs(repo, query) : this.jobs(repo, query)),
        };
      if (path === '/v1/aggregates') {
        if (!this.deps.history)
          return error(503, 'unavailable', 'no job history database is open; see the controller log');
        return { status: 200, body: await this.aggregates(this.deps.history, repo, query) };
      }
    } catch (err) {
      if (err instanceof BadQuery) return error(400, 'invalid_input', err.message);
      throw err;
    }
    if (path === '/v1/settings') return { status: 200, body: await this.settings(repo) };
    if (path === '/v1/image-cache/autopilot') {
      const a = this.deps.autopilot;
      const decisions = a ? await a.list(repo) : [];
      return {
        status: 200,
        body: autopilotView(repo, this.deps.config.imageCacheAutopilot, decisions, a?.isLeader() ?? false),
      };
    }
    return error(404, 'not_found', `no route ${path}`);
  }

  private async historyJobs(repo: string, query: URLSearchParams): Promise<JobsResponse> {
    const history = this.deps.history!;
    const limit = Math.min(500, Math.max(1, Number(query.get('limit') ?? 200) || 200));
    const status = (query.get('status') ?? '').split(',').filter(Boolean);
    for (const s of status)
      if (!STATUSES.includes(s as JobStatus)) throw new BadQuery(`status must be among ${STATUSES.join(', ')}`);
    const since = time(query, 'since');
    const until = time(query, 'until');
    const after = cursor(query.get('after'));
    const now = Date.now();
    const [page, recent] = await Promise.all([
      history.page({
        repo,
        limit,
        ...(since !== undefined ? { since } : {}),
        ...(until !== undefined ? { until } : {}),
        ...(status.length ? { status: status as JobStatus[] } : {}),
        ...(query.get('workflow') ? { workflow: query.get('workflow')! } : {}),
        ...(query.get('conclusion') ? { conclusion: query.get('conclusion')! } : {}),
        ...(after ? { after } : {}),
      }),
      history.recent(repo, now - 7 * DAY_MS),
    ]);
    const placed = recent.nodeTypes.virtual + recent.nodeTypes.regular;
    const p50 = percentile(recent.queueMs, 50);
    const p95 = percentile(recent.queueMs, 95);
    const summary: JobsSummary = {
      jobs7d: recent.jobs,
      ...(p50 !== undefined ? { p50QueuedToRunningMs: p50 } : {}),
      ...(p95 !== undefined ? { p95QueuedToRunningMs: p95 } : {}),
      ...(placed ? { virtualShare: recent.nodeTypes.virtual / placed } : {}),
      totalCostUsd: recent.costUsd,
      running: recent.running,
    };
    return {
      repo,
      generatedAt: new Date(now).toISOString(),
      summary,
      jobs: page.jobs.map((r) => toJobRecord(r, this.deps.config.prices, now)),
      ...(page.next ? { next: `${page.next.queuedAt}:${page.next.id}` } : {}),
    };
  }

  private async aggregates(
    history: JobHistoryStore,
    repo: string,
    query: URLSearchParams,
  ): Promise<AggregatesResponse> {
    const rawDays = query.get('days') ?? '30';
    const days = /^\d{1,3}$/.test(rawDays) ? Number(rawDays) : NaN;
    if (!(days >= 1 && days <= 366))
      throw new BadQuery(`days must be a whole number of days in 1..366, got "${rawDays}"`);
    const repository = query.get('repository') ?? undefined;
    if (repository !== undefined && !REPO_PATTERN.test(repository))
      throw new BadQuery(`repository must be owner/name, got "${repository}"`);
    const now = Date.now();
    // Whole UTC days: today and the days - 1 before it.
    const until = (Math.floor(now / DAY_MS) + 1) * DAY_MS;
    const since = until - days * DAY_MS;
    const { perDay, perRepository, perRepositoryDay } = await history.aggregates({
      repo,
      since,
      until,
      ...(repository ? { repository } : {}),
    });
    return {
      repo,
      generatedAt: new Date(now).toISOString(),
      from: new Date(since).toISOString(),
      to: new Date(until).toISOString(),
      perDay,
      perRepository,
      perRepositoryDay,
    };
  }

  private async jobs(repo: string, query: URLSearchParams): Promise<JobsResponse> {
    const limit = Math.min(500, Math.max(1, Number(query.get('limit') ?? 200) || 200));
    const since = Date.parse(query.get('since') ?? '');
    const now = Date.now();
    const all = (await this.deps.records.list(repo))
      .filter((r) => !Number.isFinite(since) || Date.parse(r.queuedAt) >= since)
      .map((r) => toJobRecord(r, this.deps.config.prices, now))
      .sort((a, b) => Date.parse(b.timestamps.queuedAt) - Date.parse(a.timestamps.queuedAt));
    return { repo, generatedAt: new Date(now).toISOString(), summary: summarize(all, now), jobs: all.slice(0, limit) };
  }

  private async settings(repo: string): Promise<SettingsResponse> {
    const { config, github, log } = this.deps;
    // Settings are read at the default branch head (`HEAD`), as a new job would see them.
    const [settings, nodes] = await Promise.all([
      readRepoSettings(github, repo, 'HEAD', log),
      this.deps.kube ? listVirtualNodes(this.deps.kube) : undefined,
    ]);
    const p = placementFor(settings, undefined, config.placement);
    return {
      repo,
      source: settings.source,
      placement: {
        nodeType: p.nodeType,
        cpu: p.cpu,
        memory: p.memory,
        ...(p.eciSpecs ? { eciSpecs: p.eciSpecs } : {}),
        nodeSelector: p.nodeSelector,
        spot: p.spot ?? 'never',
        ...(p.spotPriceLimit !== undefined ? { spotPriceLimit: p.spotPriceLimit } : {}),
      },
      imageCache: {
        images: imageCacheEntries(settings.imageCache.images, nodes),
        pullPolicy: settings.imageCache.pullPolicy,
        kaniko: settings.imageCache.kaniko,
      },
      prices: config.prices,
    };
  }
}
