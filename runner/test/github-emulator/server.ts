/**
 * A local GitHub for tests, written from GitHub's REST reference and its published OpenAPI descriptions (every
 * answer is checked against them in `schemas.test.ts`): the endpoints the controller calls (JIT runner config,
 * self-hosted runners, workflow runs and jobs, repository contents), GitHub App authentication (App JWT →
 * installation token, see app-auth.ts), personal access tokens, installation permissions and repository access,
 * the primary rate limit and injected failures (5xx, primary and secondary rate limits), signed `workflow_job`
 * webhooks (JSON or form-encoded), plus a test-only "broker" the runner stand-in takes its job from (the real runner
 * talks to GitHub's Actions service instead).
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { spawnSync } from 'node:child_process';
import { isoSeconds, mintInstallationToken, verifyAppJwt, withinGrant } from './app-auth.js';
import {
  contentFileObject,
  errorObject,
  organizationObject,
  repositoryObject,
  runnerObject,
  userObject,
  workflowJobObject,
  workflowRunObject,
  type Urls,
} from './shapes.js';
import {
  assignment,
  EmulatorState,
  type Assignment,
  type AssignmentOrder,
  type EmuInstallation,
  type EmuJob,
  type EmuRun,
  type EmuRunner,
  type JobConclusion,
  type JobMessage,
  type Permissions,
} from './state.js';
import { WebhookSender, type Delivery, type WebhookContentType } from './webhooks.js';

/**
 * Injected failures. Rate limits answer as "Rate limits for the REST API" says GitHub does
 * (https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#exceeding-the-rate-limit):
 * primary: 403 or 429, `x-ratelimit-remaining: 0`, `x-ratelimit-reset` in epoch seconds (up to an hour away);
 * secondary: 403 or 429 with a message naming the secondary rate limit and, usually, `retry-after` seconds.
 */
export type Fault =
  | { kind: 'status'; status: number }
  | { kind: 'rateLimit'; status?: 403 | 429; resetInSeconds?: number }
  | { kind: 'secondaryRateLimit'; status?: 403 | 429; retryAfterSeconds?: number | null };

export interface EmulatorOptions {
  /** A personal access token the API accepts; without it only App installation tokens authenticate. */
  token?: string;
  webhookSecret: string;
  /** Address written into JIT configs for runners (pods reach the host through the engine's bridge gateway). */
  runnerHost: string;
  host?: string;
  port?: number;
  /**
   * Primary rate limit per token and hour. GitHub: 5,000 for a personal access token and for an installation
   * (growing with repositories and users up to 12,500; 15,000 on Enterprise Cloud). Default 15,000 so long
   * benchmarks fit; tests that want the limit lower it.
   */
  rateLimitPerHour?: number;
  /** Status of an exhausted primary rate limit (GitHub answers 403 or 429). */
  rateLimitStatus?: 403 | 429;
  /**
   * Which queued job an idle runner gets (state.ts `assignable`): `oldest-first` (default), or the adversarial
   * `newest-first` and `{ random: seed }`. Can be changed later with `setAssignmentOrder`.
   */
  assignmentOrder?: AssignmentOrder;
}

export interface RegisterAppInput {
  appId: number;
  /** GitHub recommends the client ID as `iss`; the application id is accepted too. */
  clientId?: string;
  slug?: string;
  /** PEM of the App's public key (the test keeps the private key). */
  publicKey: string;
  installation: {
    id: number;
    /** The user or organization the App is installed on. */
    account: string;
    accountType?: 'User' | 'Organization';
    permissions?: Permissions;
    repositorySelection?: 'all' | 'selected';
    repositories?: string[];
  };
}

export interface QueueJobInput {
  repo: string;
  workflowPath: string;
  workflowText: string;
  name: string;
  labels: string[];
  message: Omit<JobMessage, 'jobId' | 'repo'>;
  headSha?: string;
  /** Send the first webhook (default true); false simulates a lost delivery. */
  webhook?: boolean;
  files?: Record<string, string>;
  /** Add the job to this existing run (a `needs:` job, created when its dependencies finish). */
  runId?: number;
  /** Jobs the new run will have in all (default 1); the run stays open until that many have completed. */
  runJobs?: number;
  /**
   * The job targets an environment whose protection rules need approval: it starts `waiting` and GitHub sends
   * `workflow_job.waiting` (https://docs.github.com/actions/managing-workflow-runs-and-deployments/managing-deployments/reviewing-deployments);
   * `approve()` queues it.
   */
  environmentApproval?: boolean;
}

type Reply = [number, unknown] | [number, unknown, Record<string, string>];
type Handler = (
  m: RegExpExecArray,
  req: IncomingMessage,
  body: unknown,
  url: URL,
  who: Principal,
) => Promise<Reply> | Reply;

/** Who a request authenticated as. */
type Principal =
  | { kind: 'pat' }
  | { kind: 'installation'; installation: EmuInstallation; permissions: Permissions }
  | { kind: 'app'; appId: number }
  | { kind: 'none' };

interface Route {
  method: string;
  re: RegExp;
  handler: Handler;
  /** `jwt`: App endpoints; `token`: a PAT or an installation token; `runner`: the test-only broker. */
  auth: 'jwt' | 'token' | 'runner';
  /** Permission an installation token needs, e.g. `actions=read` (each endpoint's docs list it). */
  permission?: (m: RegExpExecArray) => string;
  /** The account (`owner/repo` or `org`) a request addresses, checked against the installation's access. */
  resource?: (m: RegExpExecArray) => { repo?: string; org?: string };
}

const DOCS = 'https://docs.github.com/rest';
const RATE_DOCS = 'https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api';
const WEB = 'https://github.com';
const LEVEL = { read: 1, write: 2, admin: 3 } as const;
/** `status` filter values of "List workflow runs for a repository" (the OpenAPI `workflow-run-status` parameter). */
const RUN_STATUS_FILTERS = new Set([
  'completed',
  'action_required',
  'cancelled',
  'failure',
  'neutral',
  'skipped',
  'stale',
  'success',
  'timed_out',
  'in_progress',
  'queued',
  'requested',
  'waiting',
  'pending',
]);

export class GitHubEmulator {
  readonly state = new EmulatorState();
  readonly webhooks: WebhookSender;
  /** Every answered request; `at` is when it was answered (Date.now()). */
  readonly requests: { method: string; path: string; status: number; auth: Principal['kind']; at: number }[] = [];
  /** Names of runners registered through generate-jitconfig, in order (successful registrations only). */
  readonly registeredRunners: string[] = [];
  /** Every JIT registration in order, with the runner id GitHub gave it (names repeat after a delete). */
  readonly registrations: { id: number; name: string }[] = [];
  webhookUrl: string | undefined;
  /** While true, runners get no job (acquire answers 204): lets tests act on a queued job with its pod up. */
  holdAssignments = false;
  /** Runners (by name) that get no job while listed: lets a test choose which runner takes a job. */
  readonly heldRunners = new Set<string>();
  /** Jobs a runner took that were not the job its name was registered for (`eci-virtual-<jobId>[-<n>]`), in order. */
  readonly swaps: { runner: string; jobId: number }[] = [];
  private order: Assignment;
  private readonly faults: { pattern: RegExp; fault: Fault }[] = [];
  private server: Server | undefined;
  /** Primary rate-limit windows per principal (`pat`, `installation:<id>`). */
  private readonly budgets = new Map<string, { used: number; resetAt: number; limit: number }>();
  private readonly routes: Route[] = [];
  /** Repository archives by `owner/repo@ref` (lower-case owner/repo): a directory and the commit it stands for. */
  private readonly archives = new Map<string, { dir: string; sha: string }>();
  /** The App whose webhook delivers events (set by registerApp); otherwise deliveries come from a repository hook. */
  private app: { id: number; installationId: number } | undefined;
  /** Until when (epoch seconds) every primary budget is exhausted, after exhaustRateLimit(). */
  private exhaustedUntil = 0;
  port = 0;

  constructor(private readonly opts: EmulatorOptions) {
    this.webhooks = new WebhookSender(() => this.webhookUrl, opts.webhookSecret);
    this.order = assignment(opts.assignmentOrder ?? 'oldest-first');
    const repo = '/repos/([^/]+)/([^/]+)';
    const org = '/orgs/([^/]+)';
    const repoOf = (m: RegExpExecArray) => ({ repo: `${m[1]}/${m[2]}` });
    const orgOf = (m: RegExpExecArray) => ({ org: m[1]! });
    // Permissions per endpoint, from each endpoint's "Fine-grained access tokens" section of the REST reference.
    const actionsRead = () => 'actions=read';
    const admin = (level: 'read' | 'write') => () => `administration=${level}`;
    const orgRunners = (level: 'read' | 'write') => () => `organization_self_hosted_runners=${level}`;

    this.route('POST', '/app/installations/(\\d+)/access_tokens', 'jwt', (m, _r, b, _u, who) =>
      this.accessToken(Number(m[1]), b, who),
    );
    this.route(
      'POST',
      `${repo}/actions/runners/generate-jitconfig`,
      'token',
      (m, _r, b) => this.jit(b, `${m[1]}/${m[2]}`, undefined),
      { permission: admin('write'), resource: repoOf },
    );
    this.route(
      'POST',
      `${org}/actions/runners/generate-jitconfig`,
      'token',
      (m, _r, b) => this.jit(b, undefined, m[1]),
      {
        permission: orgRunners('write'),
        resource: orgOf,
      },
    );
    this.route(
      'GET',
      `${repo}/actions/runners`,
      'token',
      (m, _r, _b, u) => this.listRunners((r) => r.repo === `${m[1]}/${m[2]}`, u),
      { permission: admin('read'), resource: repoOf },
    );
    this.route('GET', `${org}/actions/runners`, 'token', (m, _r, _b, u) => this.listRunners((r) => r.org === m[1], u), {
      permission: orgRunners('read'),
      resource: orgOf,
    });
    this.route('DELETE', `${repo}/actions/runners/(\\d+)`, 'token', (m) => this.deleteRunner(Number(m[3])), {
      permission: admin('write'),
      resource: repoOf,
    });
    this.route('DELETE', `${org}/actions/runners/(\\d+)`, 'token', (m) => this.deleteRunner(Number(m[2])), {
      permission: orgRunners('write'),
      resource: orgOf,
    });
    this.route('GET', `${repo}/actions/runs`, 'token', (m, _r, _b, u) => this.listRuns(`${m[1]}/${m[2]}`, u), {
      permission: actionsRead,
      resource: repoOf,
    });
    this.route(
      'GET',
      `${repo}/actions/runs/(\\d+)`,
      'token',
      (m) => {
        const run = this.state.runs.get(Number(m[3]));
        return run && sameName(run.repo, `${m[1]}/${m[2]}`) ? [200, this.runJson(run)] : notFound();
      },
      { permission: actionsRead, resource: repoOf },
    );
    this.route(
      'GET',
      `${repo}/actions/runs/(\\d+)/jobs`,
      'token',
      (m, _r, _b, u) => {
        const run = this.state.runs.get(Number(m[3]));
        if (!run || !sameName(run.repo, `${m[1]}/${m[2]}`)) return notFound();
        const filter = u.searchParams.get('filter') ?? 'latest';
        if (filter !== 'latest' && filter !== 'all') return validationFailed('filter', filter);
        const jobs = this.state.jobsOf(run, filter === 'all').map((j) => this.jobJson(j));
        return [200, { total_count: jobs.length, jobs: page(jobs, u) }, links(jobs.length, u)];
      },
      { permission: actionsRead, resource: repoOf },
    );
    this.route(
      'GET',
      `${repo}/actions/jobs/(\\d+)`,
      'token',
      (m) => {
        const j = this.state.jobs.get(Number(m[3]));
        return j && sameName(this.state.repoOf(j), `${m[1]}/${m[2]}`) ? [200, this.jobJson(j)] : notFound();
      },
      { permission: actionsRead, resource: repoOf },
    );
    // "Re-run a job from a workflow run": 201 with an empty object; 403 (`forbidden`) otherwise documented. GitHub
    // Apps need `actions: write` (@octokit/openapi-types, operation actions/re-run-job-for-workflow-run).
    this.route(
      'POST',
      `${repo}/actions/jobs/(\\d+)/rerun`,
      'token',
      (m) => this.rerunJob(`${m[1]}/${m[2]}`, Number(m[3])),
      {
        permission: () => 'actions=write',
        resource: repoOf,
      },
    );
    this.route(
      'GET',
      `${repo}/contents/(.+)`,
      'token',
      (m, _r, _b, u) => {
        const full = `${m[1]}/${m[2]}`;
        const path = decodeURIComponent(m[3]!);
        const ref = u.searchParams.get('ref') ?? 'HEAD';
        const text = this.state.getFile(full, ref, path);
        if (text === undefined) return notFound();
        return [200, contentFileObject(this.state.repo(full), path, ref, text, this.urls)];
      },
      { permission: () => 'contents=read', resource: repoOf },
    );
    // Runner broker (test-only).
    this.route('POST', '/_runner/acquire', 'runner', (_m, req) => this.acquire(req));
    this.route('POST', '/_runner/jobs/(\\d+)/steps', 'runner', (m, req, b) => this.stepResult(req, Number(m[1]), b));
    this.route('POST', '/_runner/jobs/(\\d+)/complete', 'runner', (m, req, b) => this.complete(req, Number(m[1]), b));
    this.route('POST', '/_runner/jobs/(\\d+)/cancel-requested', 'runner', (m, req) =>
      this.cancelRequested(req, Number(m[1])),
    );
  }

  private route(
    method: string,
    pattern: string,
    auth: Route['auth'],
    handler: Handler,
    extra: Pick<Route, 'permission' | 'resource'> = {},
  ): void {
    this.routes.push({ method, re: new RegExp(`^${pattern}$`), handler, auth, ...extra });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  private get urls(): Urls {
    return { api: this.url, web: WEB };
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.dispatch(req, res));
    this.server.on('connection', (s) => s.setNoDelay(true));
    await new Promise<void>((resolve) =>
      this.server!.listen(this.opts.port ?? 0, this.opts.host ?? '0.0.0.0', resolve),
    );
    this.port = (this.server.address() as { port: number }).port;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  /** Changes the assignment order from now on (a `random` order restarts from its seed). */
  setAssignmentOrder(order: AssignmentOrder): void {
    this.order = assignment(order);
  }

  /** The next `count` API requests whose path matches `pattern` fail with `fault`. */
  inject(fault: Fault, count = 1, pattern = /^\/(repos|orgs)\//): void {
    for (let i = 0; i < count; i++) this.faults.push({ pattern, fault });
  }

  /**
   * Uses up the primary rate limit of every token (present and future) until `resetInSeconds` from now, as when
   * another process shares the installation's budget.
   */
  exhaustRateLimit(resetInSeconds = 3000): void {
    const resetAt = Math.floor(Date.now() / 1000) + resetInSeconds;
    this.exhaustedUntil = resetAt;
    for (const b of this.budgets.values()) Object.assign(b, { used: b.limit, resetAt });
  }

  /** Requests counted against the primary rate limit so far, across all tokens (current windows). */
  rateLimitUsed(): number {
    return [...this.budgets.values()].reduce((n, b) => n + b.used, 0);
  }

  /** Registers a GitHub App (its public key) and one installation; webhooks then come from the App's hook. */
  registerApp(input: RegisterAppInput): void {
    this.state.apps.set(input.appId, {
      id: input.appId,
      clientId: input.clientId ?? `Iv23li${input.appId.toString(36).padStart(14, '0')}`,
      slug: input.slug ?? 'eci-virtual-test',
      publicKey: input.publicKey,
    });
    const i = input.installation;
    this.state.account(i.account, i.accountType ?? 'User');
    this.state.installations.set(i.id, {
      id: i.id,
      appId: input.appId,
      account: i.account,
      permissions: i.permissions ?? {
        actions: 'read',
        administration: 'write',
        contents: 'read',
        metadata: 'read',
        organization_self_hosted_runners: 'write',
      },
      repositorySelection: i.repositorySelection ?? 'all',
      repositories: i.repositories ?? [],
    });
    this.app = { id: input.appId, installationId: i.id };
  }

  /** Marks `login` as an organization (webhooks then carry `organization`). */
  addOrganization(login: string): void {
    const a = this.state.account(login, 'Organization');
    a.type = 'Organization';
  }

  /** Creates a run + job (and its workflow file at the commit) and sends the `queued` (or `waiting`) webhook. */
  async queueJob(input: QueueJobInput): Promise<EmuJob> {
    const existing = input.runId !== undefined ? this.state.runs.get(input.runId) : undefined;
    if (input.runId !== undefined && !existing) throw new Error(`no run ${input.runId}`);
    const sha = existing?.head_sha ?? input.headSha ?? randomUUID().replace(/-/g, '').padEnd(40, '0').slice(0, 40);
    this.state.putFile(input.repo, sha, input.workflowPath, input.workflowText);
    for (const [p, t] of Object.entries(input.files ?? {})) this.state.putFile(input.repo, sha, p, t);
    const now = new Date().toISOString();
    this.state.repo(input.repo);
    const run: EmuRun = existing ?? {
      id: this.state.id(),
      repo: input.repo,
      path: input.workflowPath,
      head_sha: sha,
      head_branch: 'main',
      name: 'CI',
      event: 'push',
      run_number: this.state.nextRunNumber(),
      workflow_id: 9_000_000 + (hash(input.workflowPath) % 1_000_000),
      created_at: now,
      updated_at: now,
      planned_jobs: input.runJobs ?? 1,
    };
    run.updated_at = now;
    this.state.runs.set(run.id, run);
    const id = this.state.id();
    const job: EmuJob = {
      id,
      run_id: run.id,
      run_attempt: 1,
      workflow_name: run.name,
      head_sha: sha,
      head_branch: run.head_branch,
      name: input.name,
      labels: input.labels,
      status: input.environmentApproval ? 'waiting' : 'queued',
      ...unassignedAttempt(now),
      html_url: `${WEB}/${input.repo}/actions/runs/${run.id}/job/${id}`,
      message: {
        runNumber: run.run_number,
        headSha: sha,
        workflow: run.name,
        jobKey: 'job',
        ...input.message,
        jobId: id,
        repo: input.repo,
        runId: run.id,
      },
      results: [],
    };
    this.state.jobs.set(id, job);
    if (input.webhook !== false) await this.sendJobWebhook(job, job.status === 'waiting' ? 'waiting' : 'queued');
    return job;
  }

  /** A reviewer approves the deployment: the waiting job is queued and GitHub sends `workflow_job.queued`. */
  async approve(jobId: number, opts: { webhook?: boolean } = {}): Promise<void> {
    const job = this.mustJob(jobId);
    if (job.status !== 'waiting') throw new Error(`job ${jobId} is not waiting`);
    Object.assign(job, { status: 'queued', started_at: new Date().toISOString() });
    if (opts.webhook !== false) await this.sendJobWebhook(job, 'queued');
  }

  /** Cancels a job not yet finished ("Cancel workflow"), queued, waiting or running, and sends `completed`. */
  async cancel(jobId: number, opts: { webhook?: boolean } = {}): Promise<void> {
    await this.finishJob(jobId, 'cancelled', opts);
  }

  /** Cancels a queued job (as "Cancel workflow" does) and sends its `completed` webhook. */
  async cancelQueued(jobId: number): Promise<void> {
    if (this.state.jobs.get(jobId)?.status !== 'queued') throw new Error(`job ${jobId} is not queued`);
    await this.cancel(jobId);
  }

  /** Cancels a running job: its runner learns it from the broker (as from a JobCancelMessage) and stops the job. */
  cancelRunning(jobId: number): void {
    const job = this.state.jobs.get(jobId);
    if (!job || job.status !== 'in_progress') throw new Error(`job ${jobId} is not running`);
    job.cancelRequested = true;
  }

  /**
   * Ends a job with `conclusion` as GitHub would: `cancelled` (cancel), `timed_out` (timeout-minutes reached while
   * running), `skipped` (an `if:` false), `neutral`, `failure`… A runner running it is released and, being
   * ephemeral, removed.
   */
  async finishJob(jobId: number, conclusion: JobConclusion, opts: { webhook?: boolean } = {}): Promise<void> {
    const job = this.mustJob(jobId);
    if (job.status === 'completed') throw new Error(`job ${jobId} is already completed`);
    const now = new Date().toISOString();
    Object.assign(job, { status: 'completed', conclusion, completed_at: now });
    if (job.runner_id !== null) this.state.runners.delete(job.runner_id);
    this.state.runOf(job).updated_at = now;
    if (opts.webhook !== false) await this.sendJobWebhook(job, 'completed');
  }

  /**
   * The runner running the job is gone (its machine was reclaimed, it crashed): GitHub fails the job ("The
   * self-hosted runner … lost communication with the server"), releases the runner and sends `completed`.
   */
  async runnerLost(jobId: number, opts: { webhook?: boolean } = {}): Promise<void> {
    const job = this.mustJob(jobId);
    if (job.status !== 'in_progress') throw new Error(`job ${jobId} is not running`);
    await this.finishJob(jobId, 'failure', opts);
  }

  /**
   * POST /repos/{owner}/{repo}/actions/jobs/{job_id}/rerun: the job runs again as the run's next attempt — a new job
   * (new id, `run_attempt` + 1, queued, `workflow_job.queued` sent), the old one kept as an earlier attempt (listed
   * with `filter=all` only). Refused (403) while the run is still in progress, as GitHub refuses re-running a job of
   * a running workflow. Dependent jobs (`needs:`) are not modelled.
   */
  private async rerunJob(repo: string, jobId: number): Promise<Reply> {
    const old = this.state.jobs.get(jobId);
    if (!old || !sameName(this.state.repoOf(old), repo)) return notFound();
    const run = this.state.runOf(old);
    if (old.supersededBy !== undefined || this.state.runStatus(run) !== 'completed')
      return [403, errorObject(403, 'This workflow is already running', DOCS)];
    const now = new Date().toISOString();
    const id = this.state.id();
    const job: EmuJob = {
      ...old,
      id,
      run_attempt: old.run_attempt + 1,
      status: 'queued',
      ...unassignedAttempt(now),
      html_url: old.html_url.replace(/\/job\/\d+$/, `/job/${id}`),
      message: { ...old.message, jobId: id },
      results: [],
    };
    delete job.cancelRequested;
    old.supersededBy = id;
    this.state.jobs.set(id, job);
    run.updated_at = now;
    this.reruns.push({ jobId, newJobId: id });
    await this.sendJobWebhook(job, 'queued');
    return [201, {}];
  }

  /** Re-runs asked through the API, in order. */
  readonly reruns: { jobId: number; newJobId: number }[] = [];

  /** The `workflow_job` webhook for the job's current state (action as given). */
  sendJobWebhook(
    job: EmuJob,
    action: 'queued' | 'waiting' | 'in_progress' | 'completed',
    opts: { forgeSignature?: boolean; contentType?: WebhookContentType } = {},
  ): Promise<Delivery> {
    return this.webhooks.send('workflow_job', this.jobWebhookPayload(job, action), {
      ...opts,
      hookTarget: this.app
        ? { type: 'integration', id: this.app.id }
        : { type: 'repository', id: this.state.repo(this.state.repoOf(job)).id },
    });
  }

  /** The payload GitHub sends for `workflow_job` (schemas `webhook-workflow-job-<action>`). */
  jobWebhookPayload(job: EmuJob, action: 'queued' | 'waiting' | 'in_progress' | 'completed') {
    const repo = this.state.repo(this.state.repoOf(job));
    const inst = this.app ? this.state.installations.get(this.app.installationId) : undefined;
    return {
      action,
      workflow_job: this.jobJson(job),
      repository: repositoryObject(repo, this.urls),
      ...(repo.owner.type === 'Organization' ? { organization: organizationObject(repo.owner, this.urls) } : {}),
      sender: userObject(this.actorOf(), this.urls),
      ...(inst ? { installation: { id: inst.id, node_id: `MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9u${inst.id}` } } : {}),
    };
  }

  private actorOf() {
    return this.state.account('octocat');
  }

  private mustJob(id: number): EmuJob {
    const job = this.state.jobs.get(id);
    if (!job) throw new Error(`no job ${id}`);
    return job;
  }

  /**
   * Serves `dir` as the archive of `owner/repo` at `ref` ("Download a repository archive (tar)",
   * GET /repos/{owner}/{repo}/tarball/{ref}): the API answers 302 to a codeload URL, whose gzip'd tar holds one
   * top-level folder `<owner>-<repo>-<sha>/` (the runner unwraps that single folder, ActionManager.cs
   * ExtractRepositoryArchive: "contains 'N' directories" otherwise).
   */
  registerArchive(
    repo: string,
    ref: string,
    dir: string,
    sha = createHash('sha1').update(`${repo}@${ref}`).digest('hex'),
  ): void {
    this.archives.set(`${repo.toLowerCase()}@${ref}`, { dir, sha });
    // The archive at the commit itself (GET …/tarball/{sha}): what a client that resolved the ref downloads.
    this.archives.set(`${repo.toLowerCase()}@${sha}`, { dir, sha });
  }

  /** The archive endpoints, public as for a public repository (no token needed; a token sent is not checked). */
  private serveArchive(req: IncomingMessage, res: ServerResponse, url: URL): boolean {
    if (req.method !== 'GET') return false;
    if (this.serveCommitSha(req, res, url)) return true;
    const api = /^\/repos\/([^/]+)\/([^/]+)\/tarball\/(.+)$/.exec(url.pathname);
    const code = /^\/_codeload\/([^/]+)\/([^/]+)\/legacy\.tar\.gz\/(.+)$/.exec(url.pathname);
    const m = api ?? code;
    if (!m) return false;
    const [owner, repo, ref] = [m[1]!, m[2]!, decodeURIComponent(m[3]!)];
    const archive = this.archives.get(`${owner.toLowerCase()}/${repo.toLowerCase()}@${ref}`);
    if (!archive) {
      res.writeHead(404, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(errorObject(404, 'Not Found', DOCS)));
      return true;
    }
    if (api) {
      res.writeHead(302, {
        location: `${this.url}/_codeload/${owner}/${repo}/legacy.tar.gz/${encodeURIComponent(ref)}`,
      });
      res.end();
      return true;
    }
    const top = `${owner}-${repo}-${archive.sha.slice(0, 7)}`;
    const tar = spawnSync('tar', ['-czf', '-', '-C', archive.dir, '--transform', `s,^\\.,${top},`, '.'], {
      maxBuffer: 256 * 1024 * 1024,
    });
    if (tar.status !== 0) throw new Error(`tar of ${archive.dir} failed: ${tar.stderr.toString()}`);
    res.writeHead(200, {
      'content-type': 'application/x-gzip',
      'content-disposition': `attachment; filename=${top}.tar.gz`,
    });
    res.end(tar.stdout);
    return true;
  }

  /**
   * "Get a commit" (GET /repos/{owner}/{repo}/commits/{ref}) for the refs of registered archives: with
   * `Accept: application/vnd.github.sha` the body is the bare commit SHA, else a commit object's `sha` and `url`.
   * An unknown ref is 422 "No commit found for SHA: {ref}", GitHub's answer for a ref that names no commit.
   */
  private serveCommitSha(req: IncomingMessage, res: ServerResponse, url: URL): boolean {
    const m = /^\/repos\/([^/]+)\/([^/]+)\/commits\/(.+)$/.exec(url.pathname);
    if (!m) return false;
    const [owner, repo, ref] = [m[1]!, m[2]!, decodeURIComponent(m[3]!)];
    const archive = this.archives.get(`${owner.toLowerCase()}/${repo.toLowerCase()}@${ref}`);
    if (!archive) {
      res.writeHead(422, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(errorObject(422, `No commit found for SHA: ${ref}`, DOCS)));
      return true;
    }
    if ((req.headers.accept ?? '').includes('application/vnd.github.sha')) {
      res.writeHead(200, { 'content-type': 'application/vnd.github.sha; charset=utf-8' });
      res.end(archive.sha);
    } else {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ sha: archive.sha, url: `${this.url}/repos/${owner}/${repo}/commits/${archive.sha}` }));
    }
    return true;
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator');
    if (this.serveArchive(req, res, url)) return;
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let body: unknown;
    const none: Principal = { kind: 'none' };
    try {
      body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
    } catch {
      return this.reply(req, res, url, none, 400, errorObject(400, 'Problems parsing JSON', DOCS));
    }
    const matched = this.routes
      .map((r) => ({ r, m: r.method === req.method ? r.re.exec(url.pathname) : null }))
      .find((x) => x.m);
    const route = matched?.r;
    const m = matched?.m ?? undefined;
    let who: Principal = none;
    if (route?.auth !== 'runner') {
      const auth = this.authenticate(req, url, route);
      if ('error' in auth) return this.reply(req, res, url, none, 401, errorObject(401, auth.error, DOCS));
      who = auth.who;
      if (route && m && who.kind === 'installation') {
        const denied = this.checkAccess(who, route, m);
        if (denied) return this.reply(req, res, url, who, denied[0], denied[1], denied[2]);
      }
      const i = this.faults.findIndex((f) => f.pattern.test(url.pathname));
      if (i >= 0) {
        const { fault } = this.faults.splice(i, 1)[0]!;
        return this.replyFault(req, res, url, who, fault);
      }
      const limited = this.spend(who);
      if (limited) return this.reply(req, res, url, who, limited[0], limited[1], limited[2]);
    }
    if (!route || !m) return this.reply(req, res, url, who, 404, errorObject(404, 'Not Found', DOCS));
    const [status, out, headers = {}] = await route.handler(m, req, body, url, who);
    // Conditional requests ("Best practices for using the REST API": use conditional requests): a GET answers an
    // ETag; the same If-None-Match gets 304 without a body, which does not count against the primary rate limit.
    if (req.method === 'GET' && status === 200 && route.auth === 'token') {
      const etag = `W/"${createHash('sha256').update(JSON.stringify(out)).digest('hex')}"`;
      if (req.headers['if-none-match'] === etag) {
        const b = this.budgetOf(who);
        if (b) b.used = Math.max(0, b.used - 1);
        return this.reply(req, res, url, who, 304, undefined, { etag });
      }
      return this.reply(req, res, url, who, status, out, { ...headers, etag });
    }
    return this.reply(req, res, url, who, status, out, headers);
  }

  /**
   * `Authorization: token X` / `Bearer X` (scheme case-insensitive, RFC 9110). App endpoints take only an App JWT;
   * everything else a personal access token or an unexpired installation token ("Bad credentials" otherwise).
   */
  private authenticate(
    req: IncomingMessage,
    url: URL,
    route: Route | undefined,
  ): { who: Principal } | { error: string } {
    const m = /^(token|bearer)\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    const cred = m?.[2];
    const wantsJwt = route ? route.auth === 'jwt' : url.pathname === '/app' || url.pathname.startsWith('/app/');
    if (wantsJwt) {
      if (!cred) return { error: 'A JSON web token could not be decoded' };
      const r = verifyAppJwt(this.state, cred);
      return r.ok ? { who: { kind: 'app', appId: r.app.id } } : { error: r.message };
    }
    if (!cred) return { error: 'Requires authentication' };
    if (this.opts.token && cred === this.opts.token) return { who: { kind: 'pat' } };
    const t = this.state.tokens.get(cred);
    if (!t || t.expiresAt <= Date.now()) return { error: 'Bad credentials' };
    const installation = this.state.installations.get(t.installationId)!;
    return { who: { kind: 'installation', installation, permissions: t.permissions } };
  }

  /**
   * An installation token reaches only the repositories of its installation (others answer 404, as GitHub hides
   * what a token cannot see) and only with the permissions it holds (403 "Resource not accessible by integration",
   * with `x-accepted-github-permissions` naming what the endpoint needs).
   */
  private checkAccess(
    who: Extract<Principal, { kind: 'installation' }>,
    route: Route,
    m: RegExpExecArray,
  ): [number, unknown, Record<string, string>?] | undefined {
    const inst = who.installation;
    const target = route.resource?.(m);
    const account = target?.repo?.split('/')[0] ?? target?.org;
    if (account !== undefined) {
      const inAccount = sameName(account, inst.account);
      const selected =
        inst.repositorySelection === 'all' || !target?.repo || inst.repositories.some((r) => sameName(r, target.repo!));
      if (!inAccount || !selected) return [404, errorObject(404, 'Not Found', DOCS)];
    }
    const needed = route.permission?.(m);
    if (needed) {
      const [name, level] = needed.split('=') as [string, 'read' | 'write'];
      const has = who.permissions[name];
      if (!has || LEVEL[has] < LEVEL[level])
        return [
          403,
          errorObject(403, 'Resource not accessible by integration', DOCS),
          { 'x-accepted-github-permissions': needed },
        ];
    }
    return undefined;
  }

  private budgetOf(who: Principal): { used: number; resetAt: number; limit: number } | undefined {
    const key = who.kind === 'installation' ? `installation:${who.installation.id}` : who.kind;
    if (who.kind === 'none' || who.kind === 'app') return undefined;
    const now = Math.floor(Date.now() / 1000);
    let b = this.budgets.get(key);
    if (!b || b.resetAt <= now) {
      const limit = this.opts.rateLimitPerHour ?? 15_000;
      b =
        this.exhaustedUntil > now
          ? { used: limit, resetAt: this.exhaustedUntil, limit }
          : { used: 0, resetAt: now + 3600, limit };
      this.budgets.set(key, b);
    }
    return b;
  }

  /** Counts a request against the primary rate limit; when none is left, GitHub's answer for that. */
  private spend(who: Principal): [number, unknown, Record<string, string>] | undefined {
    const b = this.budgetOf(who);
    if (!b) return undefined;
    if (b.used >= b.limit) {
      const status = this.opts.rateLimitStatus ?? 403;
      return [status, errorObject(status, `API rate limit exceeded for ${whom(who)}.`, RATE_DOCS), {}];
    }
    b.used++;
    return undefined;
  }

  private replyFault(req: IncomingMessage, res: ServerResponse, url: URL, who: Principal, fault: Fault): void {
    if (fault.kind === 'status')
      return this.reply(req, res, url, who, fault.status, errorObject(fault.status, 'Server Error', DOCS));
    const status = fault.status ?? 403;
    if (fault.kind === 'rateLimit') {
      const reset = Math.floor(Date.now() / 1000) + (fault.resetInSeconds ?? 1);
      const b = this.budgetOf(who);
      return this.reply(
        req,
        res,
        url,
        who,
        status,
        errorObject(status, `API rate limit exceeded for ${whom(who)}.`, RATE_DOCS),
        {
          'x-ratelimit-remaining': '0',
          'x-ratelimit-used': String(b?.limit ?? 5000),
          'x-ratelimit-reset': String(reset),
        },
      );
    }
    const after = fault.retryAfterSeconds === undefined ? 1 : fault.retryAfterSeconds;
    return this.reply(
      req,
      res,
      url,
      who,
      status,
      errorObject(
        status,
        'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID 0000:0000:0000000:0000000:00000000.',
        `${RATE_DOCS}#about-secondary-rate-limits`,
      ),
      after === null ? {} : { 'retry-after': String(after) },
    );
  }

  private reply(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    who: Principal,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    this.requests.push({
      method: req.method ?? '',
      path: url.pathname + url.search,
      status,
      auth: who.kind,
      at: Date.now(),
    });
    if (headers.link)
      headers = { ...headers, link: headers.link.replaceAll(HOST_PLACEHOLDER, req.headers.host ?? '127.0.0.1') };
    const b = this.budgetOf(who);
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      ...(b
        ? {
            'x-ratelimit-limit': String(b.limit),
            'x-ratelimit-remaining': String(Math.max(0, b.limit - b.used)),
            'x-ratelimit-used': String(b.used),
            'x-ratelimit-reset': String(b.resetAt),
            'x-ratelimit-resource': 'core',
          }
        : {}),
      'x-github-api-version-selected': '2022-11-28',
      'x-github-media-type': 'github.v3; format=json',
      'x-github-request-id': randomUUID().toUpperCase().slice(0, 23),
      ...headers,
    });
    res.end(status === 204 || status === 304 ? undefined : JSON.stringify(body));
  }

  private accessToken(installationId: number, body: unknown, who: Principal): Reply {
    const inst = this.state.installations.get(installationId);
    if (!inst || who.kind !== 'app' || inst.appId !== who.appId) return notFound();
    const b = (body ?? {}) as { permissions?: unknown };
    let permissions = inst.permissions;
    if (b.permissions !== undefined) {
      const asked = b.permissions as Permissions;
      if (typeof asked !== 'object' || asked === null || !withinGrant(asked, inst.permissions))
        return [
          422,
          {
            message: 'The permissions requested are not granted to this installation.',
            documentation_url: `${DOCS}/apps/apps#create-an-installation-access-token-for-an-app`,
            status: '422',
          },
        ];
      permissions = asked;
    }
    const t = mintInstallationToken(this.state, inst, permissions);
    return [
      201,
      {
        token: t.token,
        expires_at: isoSeconds(t.expiresAt),
        permissions,
        repository_selection: inst.repositorySelection,
      },
    ];
  }

  private jit(body: unknown, repo: string | undefined, org: string | undefined): Reply {
    const b = (body ?? {}) as { name?: unknown; runner_group_id?: unknown; labels?: unknown; work_folder?: unknown };
    if (
      typeof b.name !== 'string' ||
      !b.name ||
      typeof b.runner_group_id !== 'number' ||
      !Array.isArray(b.labels) ||
      !b.labels.length ||
      b.labels.length > 100
    )
      return [
        422,
        {
          message: 'Validation Failed',
          errors: ['name, runner_group_id and labels (1 to 100) are required'],
          documentation_url: `${DOCS}/actions/self-hosted-runners#create-configuration-for-a-just-in-time-runner-for-a-repository`,
          status: '422',
        },
      ];
    if ([...this.state.runners.values()].some((r) => r.name === b.name && r.repo === repo && r.org === org))
      return [409, errorObject(409, `Already exists - A runner with the name ${b.name} already exists.`, DOCS)];
    const runner: EmuRunner = {
      id: this.state.id(),
      name: b.name,
      repo,
      org,
      labels: ['self-hosted', 'Linux', 'X64', ...(b.labels as string[])],
      runnerGroupId: b.runner_group_id,
      status: 'offline',
      busy: false,
      token: randomUUID(),
      ephemeral: true,
    };
    this.state.runners.set(runner.id, runner);
    this.registeredRunners.push(runner.name);
    this.registrations.push({ id: runner.id, name: runner.name });
    const encoded = Buffer.from(
      JSON.stringify({
        runnerId: runner.id,
        runnerName: runner.name,
        brokerUrl: `http://${this.opts.runnerHost}:${this.port}`,
        token: runner.token,
      }),
    ).toString('base64');
    return [201, { runner: this.runnerJson(runner), encoded_jit_config: encoded }];
  }

  private runnerJson(r: EmuRunner) {
    return runnerObject({
      id: r.id,
      name: r.name,
      status: r.status,
      busy: r.busy,
      labels: r.labels,
      runnerGroupId: r.runnerGroupId,
    });
  }

  private listRunners(filter: (r: EmuRunner) => boolean, url: URL): Reply {
    const runners = [...this.state.runners.values()].filter(filter).map((r) => this.runnerJson(r));
    return [200, { total_count: runners.length, runners: page(runners, url) }, links(runners.length, url)];
  }

  private deleteRunner(id: number): Reply {
    const r = this.state.runners.get(id);
    if (!r) return notFound();
    if (r.busy)
      return [
        422,
        {
          message: `Bad request - Runner "${r.name}" is still running a job"`,
          documentation_url: `${DOCS}/actions/self-hosted-runners#delete-a-self-hosted-runner-from-a-repository`,
          status: '422',
        },
      ];
    this.state.runners.delete(id);
    return [204, undefined];
  }

  /**
   * "List workflow runs for a repository": newest first; `status` matches a run's status or its conclusion; with
   * a filter (status, actor, branch, event, created, head_sha, check_suite_id) at most 1,000 results are returned
   * in all, whatever the pages say.
   */
  private listRuns(repo: string, url: URL): Reply {
    const status = url.searchParams.get('status');
    if (status !== null && !RUN_STATUS_FILTERS.has(status)) return validationFailed('status', status);
    let runs = [...this.state.runs.values()]
      .filter((r) => sameName(r.repo, repo))
      .filter((r) => !status || this.state.runStatus(r) === status || this.state.runConclusion(r) === status)
      .sort((a, b) => b.id - a.id);
    const total = runs.length;
    if (status) runs = runs.slice(0, 1000);
    // Only the asked page is rendered: a fleet's poll round reads ten pages of a thousand runs, and rendering every
    // run for each page made the emulator (which shares the machine with what it measures) the busiest process.
    const shown = page(runs, url).map((r) => this.runJson(r));
    return [200, { total_count: total, workflow_runs: shown }, links(runs.length, url)];
  }

  private runJson(r: EmuRun) {
    const jobs = this.state.jobsOf(r);
    const started = jobs.map((j) => j.started_at).sort()[0] ?? r.created_at;
    return workflowRunObject(
      {
        id: r.id,
        runNumber: r.run_number,
        runAttempt: Math.max(1, ...this.state.jobsOf(r).map((j) => j.run_attempt)),
        workflowId: r.workflow_id,
        name: r.name,
        path: r.path,
        headSha: r.head_sha,
        headBranch: r.head_branch,
        event: r.event,
        status: this.state.runStatus(r),
        conclusion: this.state.runConclusion(r),
        createdAt: r.created_at,
        updatedAt: r.updated_at,
        startedAt: started,
        actor: this.actorOf(),
      },
      this.state.repo(r.repo),
      this.urls,
    );
  }

  /** The job as REST and webhooks show it: steps so far ("Set up job" first), runner and group once assigned. */
  jobJson(j: EmuJob) {
    const started = j.status === 'in_progress' || (j.status === 'completed' && j.runner_id !== null);
    const setUp = {
      name: 'Set up job',
      status: 'completed' as const,
      conclusion: 'success',
      number: 1,
      started_at: j.started_at,
      completed_at: j.started_at,
    };
    const steps = started
      ? [
          setUp,
          // A step starts when the one before it ended ("Set up job" ends at the job's start) and ends when its result
          // arrived, as GitHub's steps[] carry real, distinct times (REST "Get a job for a workflow run": steps[]).
          ...j.results.map((r, i) => ({
            name: r.name,
            status: 'completed' as const,
            conclusion: r.exitCode === 0 ? 'success' : 'failure',
            number: i + 2,
            started_at: (i > 0 ? j.results[i - 1]!.at : undefined) ?? j.started_at,
            completed_at: r.at ?? j.completed_at ?? j.started_at,
          })),
        ]
      : [];
    return workflowJobObject(
      {
        id: j.id,
        runId: j.run_id,
        runAttempt: j.run_attempt,
        workflowName: j.workflow_name,
        headSha: j.head_sha,
        headBranch: j.head_branch,
        name: j.name,
        labels: j.labels,
        status: j.status,
        conclusion: j.conclusion,
        createdAt: j.created_at,
        startedAt: j.started_at,
        completedAt: j.completed_at,
        runnerId: j.runner_id,
        runnerName: j.runner_name,
        runnerGroupId: j.runner_group_id,
        runnerGroupName: j.runner_group_name,
        steps,
      },
      this.state.repo(this.state.repoOf(j)),
      this.urls,
    );
  }

  /**
   * Runners by their token, remembered from earlier lookups: a fleet of polling runners would otherwise copy and scan
   * every registration on each poll. An entry counts only while it is still the registration under its id.
   */
  private readonly runnersByToken = new Map<string, EmuRunner>();

  private runnerFor(req: IncomingMessage): EmuRunner | undefined {
    const token = /^RemoteAuth (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!token) return undefined;
    const known = this.runnersByToken.get(token);
    if (known && known.token === token && this.state.runners.get(known.id) === known) return known;
    this.runnersByToken.delete(token);
    for (const r of this.state.runners.values())
      if (r.token === token) {
        this.runnersByToken.set(token, r);
        return r;
      }
    return undefined;
  }

  /**
   * A runner asks for work. A runner whose registration is gone gets 401 (the real listener's RunnerNotFound, on
   * which it exits). A JIT runner runs exactly one job: while that job runs it gets the same job back (a reconnect);
   * once its job is done it is refused (403) — and it is deregistered by then anyway (finishJob).
   */
  private async acquire(req: IncomingMessage): Promise<Reply> {
    const runner = this.runnerFor(req);
    if (!runner) return [401, { message: 'Runner not found: it was removed or never registered.' }];
    runner.status = 'online';
    if (runner.jobId) {
      const current = this.state.jobs.get(runner.jobId)!;
      if (current.status !== 'completed') return [200, current.message];
      if (runner.ephemeral) return [403, { message: `ephemeral runner ${runner.name} already ran job ${current.id}` }];
    }
    if (this.holdAssignments || this.heldRunners.has(runner.name)) return [204, undefined];
    const job = this.state.assignable(runner, this.order);
    if (!job) return [204, undefined];
    const registeredFor = /^eci-virtual-(\d+)(?:-\d+)?$/.exec(runner.name)?.[1];
    if (registeredFor !== undefined && Number(registeredFor) !== job.id)
      this.swaps.push({ runner: runner.name, jobId: job.id });
    void this.assign(runner, job);
    return [200, job.message];
  }

  /** A runner takes the job: it goes `in_progress` (runner and group set) and GitHub sends `in_progress`. */
  private assign(runner: EmuRunner, job: EmuJob): Promise<Delivery> {
    runner.busy = true;
    runner.status = 'online';
    runner.jobId = job.id;
    const now = new Date().toISOString();
    Object.assign(job, {
      status: 'in_progress',
      started_at: now,
      runner_id: runner.id,
      runner_name: runner.name,
      runner_group_id: runner.runnerGroupId,
      runner_group_name: runner.runnerGroupId === 1 ? 'Default' : `group-${runner.runnerGroupId}`,
    });
    this.state.runOf(job).updated_at = now;
    return this.sendJobWebhook(job, 'in_progress');
  }

  /**
   * Starts a queued job on a new repository runner named `runnerName` (as if a JIT runner of that name took it),
   * for tests that need a running job without a runner process.
   */
  async startJob(jobId: number, runnerName = `eci-virtual-${jobId}`): Promise<EmuRunner> {
    const job = this.mustJob(jobId);
    if (job.status !== 'queued') throw new Error(`job ${jobId} is not queued`);
    const runner: EmuRunner = {
      id: this.state.id(),
      name: runnerName,
      repo: this.state.repoOf(job),
      org: undefined,
      labels: ['self-hosted', 'Linux', 'X64', ...job.labels],
      runnerGroupId: 1,
      status: 'online',
      busy: false,
      token: randomUUID(),
    };
    this.state.runners.set(runner.id, runner);
    await this.assign(runner, job);
    return runner;
  }

  private stepResult(req: IncomingMessage, jobId: number, body: unknown): Reply {
    const runner = this.runnerFor(req);
    const job = this.state.jobs.get(jobId);
    if (!runner || !job || runner.jobId !== jobId) return [403, { message: 'not your job' }];
    job.results.push({ ...(body as EmuJob['results'][number]), at: new Date().toISOString() });
    return [201, {}];
  }

  private cancelRequested(req: IncomingMessage, jobId: number): Reply {
    const runner = this.runnerFor(req);
    const job = this.state.jobs.get(jobId);
    if (!runner || !job || runner.jobId !== jobId) return [403, { message: 'not your job' }];
    return [200, { cancelled: job.cancelRequested === true }];
  }

  private async complete(req: IncomingMessage, jobId: number, body: unknown): Promise<Reply> {
    const runner = this.runnerFor(req);
    const job = this.state.jobs.get(jobId);
    if (!runner || !job || runner.jobId !== jobId) return [403, { message: 'not your job' }];
    const conclusion = ((body as { conclusion?: string })?.conclusion ?? 'success') as JobConclusion;
    // Ephemeral runners are removed by GitHub once their job is done (finishJob does it).
    await this.finishJob(jobId, conclusion);
    return [200, {}];
  }
}

const sameName = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** Whose primary limit ran out, as GitHub's message names it. */
const whom = (who: Principal) => (who.kind === 'installation' ? `installation ID ${who.installation.id}` : 'user ID 1');

const notFound = (): Reply => [404, errorObject(404, 'Not Found', DOCS)];

/** 422 for a query value the endpoint does not know (schema `validation-error`). */
const validationFailed = (field: string, value: string): Reply => [
  422,
  {
    message: 'Validation Failed',
    errors: [{ resource: 'Search', field, code: 'invalid', value }],
    documentation_url: DOCS,
    status: '422',
  },
];

function hash(s: string): number {
  let h = 7;
  for (const c of s) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return h;
}

function page<T>(items: T[], url: URL): T[] {
  const per = Math.min(100, Number(url.searchParams.get('per_page') ?? 30) || 30);
  const p = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1);
  return items.slice((p - 1) * per, p * per);
}

/** GitHub's `Link` header (rel="next"/"last"), which octokit's paginate follows. */
function links(total: number, url: URL): Record<string, string> {
  const per = Math.min(100, Number(url.searchParams.get('per_page') ?? 30) || 30);
  const p = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1);
  const last = Math.max(1, Math.ceil(total / per));
  if (p >= last) return {};
  const at = (n: number) => {
    const u = new URL(url.toString());
    u.searchParams.set('page', String(n));
    return `<http://${HOST_PLACEHOLDER}${u.pathname}${u.search}>`;
  };
  return { link: `${at(p + 1)}; rel="next", ${at(last)}; rel="last"` };
}
const HOST_PLACEHOLDER = '__host__';

/**
 * The fields of a job attempt GitHub has queued and no runner has taken yet: no conclusion, no runner. `started_at`
 * is set at queue time, as GitHub's payloads show it (the official schema makes it a required date-time).
 */
function unassignedAttempt(now: string) {
  return {
    conclusion: null,
    created_at: now,
    started_at: now,
    completed_at: null,
    runner_id: null,
    runner_name: null,
    runner_group_id: null,
    runner_group_name: null,
  } as const;
}
