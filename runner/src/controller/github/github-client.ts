/**
 * Everything the controller asks GitHub, through @octokit/rest with the retry plugin (5xx, network errors) and the
 * throttling plugin (primary and secondary rate limits). Works against github.com and GHES (`apiUrl`). Auth is a
 * GitHub App installation (preferred) or a token.
 *
 * Rate limits ("Rate limits for the REST API", https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api):
 * an exhausted primary limit answers 403 or 429 with `x-ratelimit-remaining: 0` and `x-ratelimit-reset` (epoch
 * seconds, up to an hour away); a secondary limit answers 403 or 429 naming it, usually with `retry-after`. A wait
 * of at most `maxRateLimitWaitSeconds` is taken in place; a longer one fails at once with `Throttled` naming when
 * the limit resets (the poller and the launcher try again on their next round), and until then calls fail locally
 * without reaching GitHub, which may ban an integration that keeps calling while limited.
 */
import { createAppAuth } from '@octokit/auth-app';
import { Octokit } from '@octokit/rest';
import { Conflict, Forbidden, NotFound, Throttled, Unauthorized, Unavailable } from '@eci-virtual/contract';
import type { Logger } from '../../observability/logger.js';
import { rateLimitOf, type RateLimitInfo } from './rate-limits.js';
import { requestPacing } from './request-pacing.js';
import { parseWorkflowJob, type WorkflowJob } from './workflow-job.js';

export type GitHubAuth =
  { kind: 'app'; appId: string; installationId: string; privateKey: string } | { kind: 'token'; token: string };

export type RunnerScope = { kind: 'repo'; repo: string } | { kind: 'org'; org: string };

export interface GitHubClientOptions {
  apiUrl: string;
  auth: GitHubAuth;
  log: Logger;
  /** Retries for 5xx/network errors (default 3). */
  retries?: number;
  /** Called after every response with the rate-limit headers, for metrics. */
  onResponse?: (info: { route: string; status: number; remaining?: number; limit?: number }) => void;
  /** Concurrent write calls (runner registration/removal), default 8. */
  maxConcurrentWrites?: number;
  /** Concurrent calls of any kind, default 50 (GitHub allows 100: see `MAX_CONCURRENT_REQUESTS`). */
  maxConcurrentRequests?: number;
  /** Upper bound on how long a rate-limited call may wait before failing (default 120 s). */
  maxRateLimitWaitSeconds?: number;
  /** Clock, for tests. */
  now?: () => number;
}

export interface JitConfig {
  runnerId: number;
  runnerName: string;
  encodedJitConfig: string;
}

export interface RunnerInfo {
  id: number;
  name: string;
  status: string;
  busy: boolean;
  labels: string[];
}

/**
 * Calls in flight at once by default: half of GitHub's secondary rate limit ("No more than 100 concurrent requests
 * are allowed", "Rate limits for the REST API" › "About secondary rate limits").
 */
export const MAX_CONCURRENT_REQUESTS = 50;

/** `GET /repos/o/r/actions/runs/12?x` → `GET /repos/:owner/:repo/actions/runs/:id`: bounded metric labels. */
export function routeOf(method: string, url: string): string {
  const path = new URL(url, 'http://x').pathname
    .replace(/^\/api\/v3/, '')
    .replace(/^\/repos\/[^/]+\/[^/]+/, '/repos/:owner/:repo')
    .replace(/^\/orgs\/[^/]+/, '/orgs/:org')
    .replace(/\/contents\/.*$/, '/contents/:path')
    .replace(/\/\d+(?=\/|$)/g, '/:id');
  return `${method.toUpperCase()} ${path}`;
}

function countingFetch(onResponse: NonNullable<GitHubClientOptions['onResponse']>): typeof fetch {
  return async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.toString() : input.url;
    const route = routeOf(init?.method ?? 'GET', url);
    try {
      const res = await fetch(input, init);
      const remaining = res.headers.get('x-ratelimit-remaining');
      const limit = res.headers.get('x-ratelimit-limit');
      onResponse({
        route,
        status: res.status,
        ...(remaining !== null ? { remaining: Number(remaining) } : {}),
        ...(limit !== null ? { limit: Number(limit) } : {}),
      });
      return res;
    } catch (err) {
      onResponse({ route, status: 0 });
      throw err;
    }
  };
}

const [ownerOf, nameOf] = [(repo: string) => repo.split('/')[0]!, (repo: string) => repo.split('/')[1]!];

function inWords(seconds: number): string {
  if (seconds < 90) return `${Math.max(0, Math.round(seconds))} s`;
  return `${Math.round(seconds / 60)} min`;
}

const isoSeconds = (epochSeconds: number) => new Date(epochSeconds * 1000).toISOString().replace('.000Z', 'Z');
const THROTTLED_HINT = 'the poller and the job launcher try again on their next round';

function throttledError(what: string, limit: RateLimitInfo, nowMs: number, cause?: unknown): Throttled {
  const hint = THROTTLED_HINT;
  if (limit.kind === 'primary' && limit.resetAt !== undefined) {
    const at = isoSeconds(limit.resetAt);
    return new Throttled(
      `${what}: GitHub API rate limit exhausted; it resets at ${at} (in ${inWords(limit.resetAt - nowMs / 1000)})`,
      { hint, cause },
    );
  }
  if (limit.kind === 'primary') return new Throttled(`${what}: GitHub API rate limit exhausted`, { hint, cause });
  const wait = limit.retryAfter !== undefined ? `retry after ${inWords(limit.retryAfter)}` : 'wait at least a minute';
  return new Throttled(`${what}: GitHub secondary rate limit hit; ${wait}`, { hint, cause });
}

function mapError(err: unknown, what: string, nowMs = Date.now()): Error {
  if (err instanceof Throttled) return new Throttled(`${what}: ${err.message}`, { hint: THROTTLED_HINT, cause: err });
  const status = (err as { status?: number }).status;
  const message = `${what}: ${(err as Error).message ?? String(err)}`;
  const limit = rateLimitOf(err);
  if (limit) return throttledError(what, limit, nowMs, err);
  if (status === 401) return new Unauthorized(message, { hint: 'check the GitHub App key/installation or token' });
  if (status === 403) {
    const needs = (err as { response?: { headers?: Record<string, string | undefined> } }).response?.headers?.[
      'x-accepted-github-permissions'
    ];
    return new Forbidden(message, {
      hint: needs
        ? `the token/App lacks a permission: this call needs ${needs}`
        : 'the token/App lacks a permission (administration:write for runners, actions:read, contents:read)',
    });
  }
  if (status === 404) return new NotFound(message);
  if (status === 409) return new Conflict(message);
  return new Unavailable(message, { cause: err });
}

export class GitHubClient {
  readonly octokit: Octokit;
  private readonly files = new Map<string, string | undefined>();
  private readonly runPaths = new Map<string, string>();
  /** Pages of lists polled every round, by request, with their ETag (see listPages). */
  private readonly pages = new Map<string, { etag: string; items: unknown[]; next: boolean }>();
  /** Epoch seconds until which the primary rate limit is known to be exhausted: calls fail without a request. */
  private limitedUntil = 0;

  constructor(private readonly opts: GitHubClientOptions) {
    const log = opts.log;
    const maxWait = opts.maxRateLimitWaitSeconds ?? 120;
    const now = opts.now ?? Date.now;
    this.octokit = new Octokit({
      baseUrl: opts.apiUrl.replace(/\/$/, ''),
      userAgent: 'eci-virtual-controller',
      ...(opts.auth.kind === 'app'
        ? {
            authStrategy: createAppAuth,
            auth: {
              appId: opts.auth.appId,
              privateKey: opts.auth.privateKey,
              installationId: Number(opts.auth.installationId),
            },
          }
        : { auth: opts.auth.token }),
      // Every attempt (retries included) passes through this fetch, so metrics see each 5xx and rate limit.
      ...(opts.onResponse ? { request: { fetch: countingFetch(opts.onResponse) } } : {}),
      log: {
        debug: () => undefined,
        info: () => undefined,
        warn: (m: string) => log.debug(m),
        error: (m: string) => log.debug(m),
      },
    });
    // Concurrency, rate-limit waits and retries (request-pacing.ts). Runner registration is not content creation:
    // writes are not spaced a second apart (a burst of 100 queued jobs must not take 100 s); a secondary limit still
    // backs off. 429 is a rate limit, never retried blindly: that would call GitHub while limited.
    this.octokit.hook.wrap(
      'request',
      requestPacing({
        maxConcurrentRequests: opts.maxConcurrentRequests ?? MAX_CONCURRENT_REQUESTS,
        maxConcurrentWrites: opts.maxConcurrentWrites ?? 8,
        retries: opts.retries ?? 3,
        maxRateLimitWaitSeconds: maxWait,
        now,
        onRateLimit: (info) =>
          log.warn(info.kind === 'primary' ? 'GitHub rate limit hit' : 'GitHub secondary rate limit hit', info),
      }),
    );
    // Outermost hooks (registered after the pacing): a primary limit that outlasted the pacing's wait blocks every
    // call until its reset, without a request.
    this.octokit.hook.before('request', () => {
      const left = this.limitedUntil - now() / 1000;
      if (left > 0)
        throw new Throttled(
          `GitHub API rate limit exhausted until ${isoSeconds(this.limitedUntil)} (in ${inWords(left)}); not calling GitHub before then`,
          { hint: THROTTLED_HINT },
        );
    });
    this.octokit.hook.error('request', (err) => {
      const limit = rateLimitOf(err);
      if (limit?.kind === 'primary' && limit.resetAt !== undefined && limit.resetAt * 1000 > now()) {
        this.limitedUntil = Math.max(this.limitedUntil, limit.resetAt);
        log.warn('GitHub API rate limit exhausted; calls fail until it resets', { resetAt: isoSeconds(limit.resetAt) });
      }
      throw err;
    });
  }

  /** An ephemeral just-in-time runner (one job, then it is removed by GitHub). */
  async generateJitConfig(
    scope: RunnerScope,
    req: { name: string; labels: string[]; runnerGroupId: number; workFolder: string },
  ): Promise<JitConfig> {
    const body = {
      name: req.name,
      labels: req.labels,
      runner_group_id: req.runnerGroupId,
      work_folder: req.workFolder,
    };
    try {
      const res =
        scope.kind === 'repo'
          ? await this.octokit.rest.actions.generateRunnerJitconfigForRepo({
              owner: ownerOf(scope.repo),
              repo: nameOf(scope.repo),
              ...body,
            })
          : await this.octokit.rest.actions.generateRunnerJitconfigForOrg({ org: scope.org, ...body });
      return {
        runnerId: res.data.runner.id,
        runnerName: res.data.runner.name,
        encodedJitConfig: res.data.encoded_jit_config,
      };
    } catch (err) {
      throw mapError(err, `generate-jitconfig for ${req.name}`);
    }
  }

  async listRunners(scope: RunnerScope): Promise<RunnerInfo[]> {
    try {
      const runners =
        scope.kind === 'repo'
          ? await this.octokit.paginate(this.octokit.rest.actions.listSelfHostedRunnersForRepo, {
              owner: ownerOf(scope.repo),
              repo: nameOf(scope.repo),
              per_page: 100,
            })
          : await this.octokit.paginate(this.octokit.rest.actions.listSelfHostedRunnersForOrg, {
              org: scope.org,
              per_page: 100,
            });
      return runners.map((r) => ({
        id: r.id,
        name: r.name,
        status: r.status,
        busy: r.busy,
        labels: r.labels.map((l) => l.name),
      }));
    } catch (err) {
      throw mapError(err, 'list runners');
    }
  }

  async deleteRunner(scope: RunnerScope, runnerId: number): Promise<void> {
    try {
      if (scope.kind === 'repo')
        await this.octokit.rest.actions.deleteSelfHostedRunnerFromRepo({
          owner: ownerOf(scope.repo),
          repo: nameOf(scope.repo),
          runner_id: runnerId,
        });
      else await this.octokit.rest.actions.deleteSelfHostedRunnerFromOrg({ org: scope.org, runner_id: runnerId });
    } catch (err) {
      const mapped = mapError(err, `delete runner ${runnerId}`);
      if (!(mapped instanceof NotFound)) throw mapped;
    }
  }

  /**
   * The ids of `repo`'s `queued` and `in_progress` runs, whose jobs listQueuedJobsOfRun then reads (a poll round
   * reads at most `pollRunsPerRound` of them, intake/run-rotation.ts). A run turns `in_progress` as soon as one of its
   * jobs starts, so a later job of it (a `needs:` job, a matrix leg waiting for a runner) is queued inside an
   * in_progress run; listing only queued runs would never find it when its webhook was lost. One paginated list per
   * status ("List workflow runs for a repository" takes one `status`).
   */
  async listActiveRunIds(repo: string): Promise<number[]> {
    try {
      const runIds = new Set<number>();
      for (const status of ['queued', 'in_progress'] as const) {
        const runs = await this.listPages<{ id: number }>(
          'GET /repos/{owner}/{repo}/actions/runs',
          { owner: ownerOf(repo), repo: nameOf(repo), status, exclude_pull_requests: true },
          'workflow_runs',
        );
        for (const run of runs) runIds.add(run.id);
      }
      return [...runIds];
    } catch (err) {
      throw mapError(err, `list queued jobs of ${repo}`);
    }
  }

  /**
   * The jobs still `queued` in run `runId` of `repo`: one list of its jobs (`filter=latest`: the current attempt).
   * Jobs `waiting` for an environment's approval are not queued and are left alone.
   */
  async listQueuedJobsOfRun(repo: string, runId: number): Promise<WorkflowJob[]> {
    try {
      const runJobs = await this.listPages<{ status: string }>(
        'GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs',
        { owner: ownerOf(repo), repo: nameOf(repo), run_id: runId, filter: 'latest' },
        'jobs',
      );
      return runJobs.filter((j) => j.status === 'queued').map((j) => parseWorkflowJob(j, repo));
    } catch (err) {
      throw mapError(err, `list queued jobs of ${repo}`);
    }
  }

  /**
   * Every item of a paginated list (100 a page, following `Link: rel="next"`), each page asked conditionally: an
   * unchanged page answers 304 from its ETag, which GitHub does not count against the primary rate limit
   * ("Best practices for using the REST API": use conditional requests), so polling quiet runs is nearly free.
   */
  private async listPages<T>(route: string, params: Record<string, unknown>, key: string): Promise<T[]> {
    const out: T[] = [];
    for (let page = 1; ; page++) {
      const cacheKey = `${route} ${JSON.stringify(params)} ${page}`;
      const known = this.pages.get(cacheKey);
      let items: T[];
      let next: boolean;
      try {
        const res = await this.octokit.request(route, {
          ...params,
          per_page: 100,
          page,
          ...(known ? { headers: { 'if-none-match': known.etag } } : {}),
        });
        items = ((res.data as Record<string, unknown>)[key] as T[] | undefined) ?? [];
        next = /rel="next"/.test(String(res.headers.link ?? ''));
        const etag = res.headers.etag;
        this.pages.delete(cacheKey);
        if (etag) {
          this.pages.set(cacheKey, { etag, items, next });
          if (this.pages.size > 2000) this.pages.delete(this.pages.keys().next().value!);
        }
      } catch (err) {
        if ((err as { status?: number }).status !== 304 || !known) throw err;
        ({ next } = known);
        items = known.items as T[];
      }
      out.push(...items);
      if (!next) return out;
    }
  }

  /**
   * The job a runner took, from the REST API (when its `in_progress` webhook is late or lost): the jobs of run
   * `runId` when known (the runner tells its hooks GITHUB_RUN_ID), else of every `in_progress` run, whose
   * `runner_name` is `runnerName`. Pages are asked with their ETag (listPages).
   */
  async findRunnerJob(repo: string, runnerName: string, runId?: number): Promise<WorkflowJob | undefined> {
    const owner = ownerOf(repo);
    const name = nameOf(repo);
    try {
      const runIds =
        runId !== undefined
          ? [runId]
          : (
              await this.listPages<{ id: number }>(
                'GET /repos/{owner}/{repo}/actions/runs',
                { owner, repo: name, status: 'in_progress', exclude_pull_requests: true },
                'workflow_runs',
              )
            ).map((r) => r.id);
      for (const id of runIds) {
        const jobs = await this.listPages<{ runner_name?: string | null }>(
          'GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs',
          { owner, repo: name, run_id: id, filter: 'latest' },
          'jobs',
        );
        const j = jobs.find((x) => x.runner_name === runnerName);
        if (j) return parseWorkflowJob(j, repo);
      }
      return undefined;
    } catch (err) {
      throw mapError(err, `find the job of runner ${runnerName} in ${repo}`);
    }
  }

  async getJob(repo: string, jobId: number): Promise<WorkflowJob> {
    try {
      const res = await this.octokit.rest.actions.getJobForWorkflowRun({
        owner: ownerOf(repo),
        repo: nameOf(repo),
        job_id: jobId,
      });
      return parseWorkflowJob(res.data, repo);
    } catch (err) {
      throw mapError(err, `get job ${jobId} of ${repo}`);
    }
  }

  /**
   * "Re-run a job from a workflow run" (POST /repos/{owner}/{repo}/actions/jobs/{job_id}/rerun, 201 with an empty
   * object): the job and its dependents run again as the run's next attempt, each with a new job id. A GitHub App needs
   * the `actions: write` repository permission (`@octokit/openapi-types`, operation
   * `actions/re-run-job-for-workflow-run`); GitHub answers 403 while the run is still in progress.
   */
  async rerunJob(repo: string, jobId: number): Promise<void> {
    try {
      await this.octokit.rest.actions.reRunJobForWorkflowRun({
        owner: ownerOf(repo),
        repo: nameOf(repo),
        job_id: jobId,
      });
    } catch (err) {
      throw mapError(err, `re-run job ${jobId} of ${repo}`);
    }
  }

  /** The workflow file path of a run (e.g. `.github/workflows/ci.yml`); fixed for the run's lifetime, so cached. */
  async getRunWorkflowPath(repo: string, runId: number): Promise<string> {
    const key = `${repo}#${runId}`;
    const known = this.runPaths.get(key);
    if (known) return known;
    try {
      const res = await this.octokit.rest.actions.getWorkflowRun({
        owner: ownerOf(repo),
        repo: nameOf(repo),
        run_id: runId,
      });
      this.runPaths.set(key, res.data.path);
      if (this.runPaths.size > 500) this.runPaths.delete(this.runPaths.keys().next().value!);
      return res.data.path;
    } catch (err) {
      throw mapError(err, `get run ${runId} of ${repo}`);
    }
  }

  /**
   * A file's text at a commit, or undefined when it does not exist. Content at a commit sha never changes, so those
   * answers are cached (a matrix burst of 100 jobs from one run reads its workflow once).
   */
  async getFileText(repo: string, path: string, ref: string): Promise<string | undefined> {
    const key = /^[0-9a-f]{40}$/.test(ref) ? `${repo}@${ref}:${path}` : undefined;
    if (key && this.files.has(key)) return this.files.get(key);
    const text = await this.fetchFileText(repo, path, ref);
    if (key) {
      this.files.set(key, text);
      if (this.files.size > 500) this.files.delete(this.files.keys().next().value!);
    }
    return text;
  }

  private async fetchFileText(repo: string, path: string, ref: string): Promise<string | undefined> {
    try {
      const res = await this.octokit.rest.repos.getContent({ owner: ownerOf(repo), repo: nameOf(repo), path, ref });
      const data = res.data as { type?: string; content?: string; encoding?: string };
      if (data.type !== 'file' || typeof data.content !== 'string') return undefined;
      return Buffer.from(data.content, (data.encoding as BufferEncoding | undefined) ?? 'base64').toString('utf8');
    } catch (err) {
      const mapped = mapError(err, `read ${path}@${ref} of ${repo}`);
      if (mapped instanceof NotFound) return undefined;
      throw mapped;
    }
  }
}
