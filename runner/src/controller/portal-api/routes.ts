/** `GET /v1/jobs` and `GET /v1/settings` (wire types: portal.ts of @eci-virtual/contract), token-protected, read-only. */
import { timingSafeEqual } from 'node:crypto';
import type { ControllerConfig } from '../config.js';
import type { GitHubClient } from '../github/github-client.js';
import { REPO_PATTERN } from '../github/workflow-job.js';
import type { JobRecordReader } from '../records/stored-job.js';
import { placementFor } from '../settings/repo-settings.js';
import { readRepoSettings } from '../settings/repo-settings-reader.js';
import type { Logger } from '../../observability/logger.js';
import type { KubeClients } from '../../kube/client.js';
import { imageCacheEntries, listVirtualNodes } from './image-cache-state.js';
import { summarize, toJobRecord } from './job-view.js';
import type { JobsResponse, SettingsResponse } from '@eci-virtual/contract';

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
      github: GitHubClient;
      log: Logger;
      /** To read the virtual nodes' cached images; without it image states are `unknown`. */
      kube?: KubeClients;
    },
  ) {}

  async handle(path: string, query: URLSearchParams, authorization: string | undefined): Promise<PortalResponse> {
    if (!this.deps.config.portal.token)
      return error(404, 'not_found', 'the portal API is disabled (no portal token configured)');
    if (!authorized(this.deps.config.portal.token, authorization))
      return error(401, 'unauthorized', 'missing or wrong bearer token');
    const repo = query.get('repo') ?? '';
    if (!REPO_PATTERN.test(repo)) return error(400, 'invalid_input', `repo must be owner/name, got "${repo}"`);
    if (path === '/v1/jobs') return { status: 200, body: await this.jobs(repo, query) };
    if (path === '/v1/settings') return { status: 200, body: await this.settings(repo) };
    return error(404, 'not_found', `no route ${path}`);
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
