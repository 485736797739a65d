/**
 * A local GitHub for tests, written from GitHub's REST API reference: the endpoints the controller calls (JIT runner
 * config, self-hosted runners, workflow runs and jobs, repository contents), authentication, rate-limit headers and
 * injected failures (5xx, primary and secondary rate limits), signed `workflow_job` webhooks, plus a test-only
 * "broker" the runner stand-in takes its job from (the real runner talks to GitHub's Actions service instead).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { EmulatorState, type EmuJob, type EmuRunner, type JobMessage } from './state.js';
import { WebhookSender } from './webhooks.js';

export type Fault = { kind: 'status'; status: number } | { kind: 'rateLimit' } | { kind: 'secondaryRateLimit' };

export interface EmulatorOptions {
  token: string;
  webhookSecret: string;
  /** Address written into JIT configs for runners (pods reach the host through the engine's bridge gateway). */
  runnerHost: string;
  host?: string;
  port?: number;
}

export interface QueueJobInput {
  repo: string;
  workflowPath: string;
  workflowText: string;
  name: string;
  labels: string[];
  message: Omit<JobMessage, 'jobId' | 'repo'>;
  headSha?: string;
  /** Send the `queued` webhook (default true); false simulates a lost delivery. */
  webhook?: boolean;
  files?: Record<string, string>;
}

type Handler = (
  m: RegExpExecArray,
  req: IncomingMessage,
  body: unknown,
  url: URL,
) =>
  | Promise<[number, unknown] | [number, unknown, Record<string, string>]>
  | [number, unknown]
  | [number, unknown, Record<string, string>];

const API_DOCS = 'https://docs.github.com/rest';

export class GitHubEmulator {
  readonly state = new EmulatorState();
  readonly webhooks: WebhookSender;
  readonly requests: { method: string; path: string; status: number }[] = [];
  /** Names of runners registered through generate-jitconfig, in order (successful registrations only). */
  readonly registeredRunners: string[] = [];
  webhookUrl: string | undefined;
  /** While true, runners get no job (acquire answers 204): lets tests act on a queued job with its pod up. */
  holdAssignments = false;
  private readonly faults: { pattern: RegExp; fault: Fault }[] = [];
  private server: Server | undefined;
  private remaining = 5000;
  private readonly routes: [string, RegExp, Handler][] = [];
  port = 0;

  constructor(private readonly opts: EmulatorOptions) {
    this.webhooks = new WebhookSender(() => this.webhookUrl, opts.webhookSecret);
    const repo = '/repos/([^/]+)/([^/]+)';
    const org = '/orgs/([^/]+)';
    this.route('POST', `${repo}/actions/runners/generate-jitconfig`, (m, _r, b) =>
      this.jit(b, `${m[1]}/${m[2]}`, undefined),
    );
    this.route('POST', `${org}/actions/runners/generate-jitconfig`, (m, _r, b) => this.jit(b, undefined, m[1]));
    this.route('GET', `${repo}/actions/runners`, (m, _r, _b, u) =>
      this.listRunners((r) => r.repo === `${m[1]}/${m[2]}`, u),
    );
    this.route('GET', `${org}/actions/runners`, (m, _r, _b, u) => this.listRunners((r) => r.org === m[1], u));
    this.route('DELETE', `${repo}/actions/runners/(\\d+)`, (m) => this.deleteRunner(Number(m[3])));
    this.route('DELETE', `${org}/actions/runners/(\\d+)`, (m) => this.deleteRunner(Number(m[2])));
    this.route('GET', `${repo}/actions/runs`, (m, _r, _b, u) => this.listRuns(`${m[1]}/${m[2]}`, u));
    this.route('GET', `${repo}/actions/runs/(\\d+)`, (m) => {
      const run = this.state.runs.get(Number(m[3]));
      return run && run.repo === `${m[1]}/${m[2]}` ? [200, this.runJson(run.id)] : notFound();
    });
    this.route('GET', `${repo}/actions/runs/(\\d+)/jobs`, (m, _r, _b, u) => {
      const jobs = [...this.state.jobs.values()].filter((j) => j.run_id === Number(m[3])).map((j) => this.jobJson(j));
      return [200, { total_count: jobs.length, jobs: page(jobs, u) }, links(jobs.length, u)];
    });
    this.route('GET', `${repo}/actions/jobs/(\\d+)`, (m) => {
      const j = this.state.jobs.get(Number(m[3]));
      return j && this.state.repoOf(j) === `${m[1]}/${m[2]}` ? [200, this.jobJson(j)] : notFound();
    });
    this.route('GET', `${repo}/contents/(.+)`, (m, _r, _b, u) => {
      const path = decodeURIComponent(m[3]!);
      const text = this.state.getFile(`${m[1]}/${m[2]}`, u.searchParams.get('ref') ?? 'HEAD', path);
      if (text === undefined) return notFound();
      const b64 = Buffer.from(text)
        .toString('base64')
        .replace(/(.{60})/g, '$1\n');
      return [
        200,
        {
          type: 'file',
          encoding: 'base64',
          size: Buffer.byteLength(text),
          name: path.split('/').pop(),
          path,
          content: b64,
          sha: 'f'.repeat(40),
        },
      ];
    });
    // Runner broker (test-only).
    this.route('POST', '/_runner/acquire', (_m, req) => this.acquire(req));
    this.route('POST', '/_runner/jobs/(\\d+)/steps', (m, req, b) => this.stepResult(req, Number(m[1]), b));
    this.route('POST', '/_runner/jobs/(\\d+)/complete', (m, req, b) => this.complete(req, Number(m[1]), b));
    this.route('POST', '/_runner/jobs/(\\d+)/cancel-requested', (m, req) => this.cancelRequested(req, Number(m[1])));
  }

  private route(method: string, pattern: string, handler: Handler): void {
    this.routes.push([method, new RegExp(`^${pattern}$`), handler]);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
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

  /** The next `count` API requests whose path matches `pattern` fail with `fault`. */
  inject(fault: Fault, count = 1, pattern = /^\/(repos|orgs)\//): void {
    for (let i = 0; i < count; i++) this.faults.push({ pattern, fault });
  }

  /** Creates a queued run + job (and its workflow file at the commit) and sends the `queued` webhook. */
  async queueJob(input: QueueJobInput): Promise<EmuJob> {
    const sha = input.headSha ?? randomUUID().replace(/-/g, '').padEnd(40, '0').slice(0, 40);
    this.state.putFile(input.repo, sha, input.workflowPath, input.workflowText);
    for (const [p, t] of Object.entries(input.files ?? {})) this.state.putFile(input.repo, sha, p, t);
    const now = new Date().toISOString();
    const run = {
      id: this.state.id(),
      repo: input.repo,
      path: input.workflowPath,
      head_sha: sha,
      name: 'CI',
      status: 'queued' as const,
      created_at: now,
    };
    this.state.runs.set(run.id, run);
    const id = this.state.id();
    const job: EmuJob = {
      id,
      run_id: run.id,
      run_attempt: 1,
      workflow_name: run.name,
      head_sha: sha,
      name: input.name,
      labels: input.labels,
      status: 'queued',
      conclusion: null,
      created_at: now,
      started_at: null,
      completed_at: null,
      runner_id: null,
      runner_name: null,
      html_url: `https://github.com/${input.repo}/actions/runs/${run.id}/job/${id}`,
      message: { ...input.message, jobId: id, repo: input.repo },
      results: [],
    };
    this.state.jobs.set(id, job);
    if (input.webhook !== false) await this.sendJobWebhook(job, 'queued');
    return job;
  }

  /** Cancels a queued job (as "Cancel workflow" does) and sends its `completed` webhook. */
  async cancelQueued(jobId: number): Promise<void> {
    const job = this.state.jobs.get(jobId);
    if (!job || job.status !== 'queued') throw new Error(`job ${jobId} is not queued`);
    Object.assign(job, { status: 'completed', conclusion: 'cancelled', completed_at: new Date().toISOString() });
    this.state.runOf(job).status = 'completed';
    await this.sendJobWebhook(job, 'completed');
  }

  /** Cancels a running job: its runner learns it from the broker (as from a JobCancelMessage) and stops the job. */
  cancelRunning(jobId: number): void {
    const job = this.state.jobs.get(jobId);
    if (!job || job.status !== 'in_progress') throw new Error(`job ${jobId} is not running`);
    job.cancelRequested = true;
  }

  sendJobWebhook(job: EmuJob, action: 'queued' | 'in_progress' | 'completed', opts: { forgeSignature?: boolean } = {}) {
    const repo = this.state.repoOf(job);
    const [owner, name] = repo.split('/');
    return this.webhooks.send(
      'workflow_job',
      {
        action,
        workflow_job: this.jobJson(job),
        repository: { id: 1, name, full_name: repo, owner: { login: owner } },
        sender: { login: 'octocat' },
      },
      opts,
    );
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let body: unknown;
    try {
      body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
    } catch {
      return this.reply(req, res, url, 400, { message: 'Problems parsing JSON', documentation_url: API_DOCS });
    }
    const isApi = /^\/(repos|orgs)\//.test(url.pathname);
    if (isApi) {
      const auth = req.headers.authorization ?? '';
      if (auth !== `token ${this.opts.token}` && auth !== `Bearer ${this.opts.token}`)
        return this.reply(req, res, url, 401, { message: 'Bad credentials', documentation_url: API_DOCS });
      const i = this.faults.findIndex((f) => f.pattern.test(url.pathname));
      if (i >= 0) {
        const { fault } = this.faults.splice(i, 1)[0]!;
        if (fault.kind === 'status') return this.reply(req, res, url, fault.status, { message: 'Server Error' });
        if (fault.kind === 'rateLimit')
          return this.reply(
            req,
            res,
            url,
            403,
            { message: 'API rate limit exceeded for installation.', documentation_url: API_DOCS },
            {
              'x-ratelimit-remaining': '0',
              'x-ratelimit-reset': String(Math.ceil(Date.now() / 1000) + 1),
            },
          );
        return this.reply(
          req,
          res,
          url,
          403,
          {
            message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
            documentation_url: API_DOCS,
          },
          { 'retry-after': '1' },
        );
      }
      this.remaining = Math.max(1, this.remaining - 1);
    }
    for (const [method, re, handler] of this.routes) {
      const m = re.exec(url.pathname);
      if (!m || method !== req.method) continue;
      const [status, out, headers] = await handler(m, req, body, url);
      return this.reply(req, res, url, status, out, headers);
    }
    this.reply(req, res, url, 404, { message: 'Not Found', documentation_url: API_DOCS });
  }

  private reply(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    this.requests.push({ method: req.method ?? '', path: url.pathname + url.search, status });
    if (headers.link)
      headers = { ...headers, link: headers.link.replaceAll(HOST_PLACEHOLDER, req.headers.host ?? '127.0.0.1') };
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': String(this.remaining),
      'x-ratelimit-reset': String(Math.ceil(Date.now() / 1000) + 3600),
      'x-ratelimit-resource': 'core',
      'x-github-api-version-selected': '2022-11-28',
      ...headers,
    });
    res.end(status === 204 ? undefined : JSON.stringify(body));
  }

  private jit(body: unknown, repo: string | undefined, org: string | undefined): [number, unknown] {
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
          errors: [{ resource: 'Runner', code: 'invalid', field: 'name/runner_group_id/labels' }],
          documentation_url: API_DOCS,
        },
      ];
    if ([...this.state.runners.values()].some((r) => r.name === b.name && r.repo === repo && r.org === org))
      return [
        409,
        { message: `Already exists - A runner with the name ${b.name} already exists.`, documentation_url: API_DOCS },
      ];
    const runner: EmuRunner = {
      id: this.state.id(),
      name: b.name,
      repo,
      org,
      labels: ['self-hosted', ...(b.labels as string[])],
      status: 'offline',
      busy: false,
      token: randomUUID(),
    };
    this.state.runners.set(runner.id, runner);
    this.registeredRunners.push(runner.name);
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
    return {
      id: r.id,
      name: r.name,
      os: 'Linux',
      status: r.status,
      busy: r.busy,
      ephemeral: true,
      labels: r.labels.map((name, i) => ({ id: i + 1, name, type: i === 0 ? 'read-only' : 'custom' })),
    };
  }

  private listRunners(filter: (r: EmuRunner) => boolean, url: URL): [number, unknown, Record<string, string>] {
    const runners = [...this.state.runners.values()].filter(filter).map((r) => this.runnerJson(r));
    return [200, { total_count: runners.length, runners: page(runners, url) }, links(runners.length, url)];
  }

  private deleteRunner(id: number): [number, unknown] {
    const r = this.state.runners.get(id);
    if (!r) return notFound();
    if (r.busy)
      return [
        422,
        { message: 'Bad request - Runner "' + r.name + '" is still running a job"', documentation_url: API_DOCS },
      ];
    this.state.runners.delete(id);
    return [204, undefined];
  }

  private listRuns(repo: string, url: URL): [number, unknown, Record<string, string>] {
    const status = url.searchParams.get('status');
    const runs = [...this.state.runs.values()]
      .filter((r) => r.repo === repo && (!status || r.status === status))
      .map((r) => this.runJson(r.id));
    return [200, { total_count: runs.length, workflow_runs: page(runs, url) }, links(runs.length, url)];
  }

  private runJson(id: number) {
    const r = this.state.runs.get(id)!;
    return {
      id: r.id,
      name: r.name,
      path: r.path,
      head_sha: r.head_sha,
      status: r.status,
      run_attempt: 1,
      created_at: r.created_at,
      repository: { full_name: r.repo },
    };
  }

  jobJson(j: EmuJob) {
    const { message: _m, results: _r, ...rest } = j;
    return { ...rest, workflow_name: j.workflow_name, steps: [] };
  }

  private runnerFor(req: IncomingMessage): EmuRunner | undefined {
    const token = /^RemoteAuth (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    return [...this.state.runners.values()].find((r) => r.token === token);
  }

  private async acquire(req: IncomingMessage): Promise<[number, unknown]> {
    const runner = this.runnerFor(req);
    if (!runner) return [401, { message: 'unknown runner' }];
    runner.status = 'online';
    if (runner.jobId) return [200, this.state.jobs.get(runner.jobId)!.message];
    if (this.holdAssignments) return [204, undefined];
    const job = this.state.assignable(runner);
    if (!job) return [204, undefined];
    runner.busy = true;
    runner.jobId = job.id;
    Object.assign(job, {
      status: 'in_progress',
      started_at: new Date().toISOString(),
      runner_id: runner.id,
      runner_name: runner.name,
    });
    this.state.runOf(job).status = 'in_progress';
    void this.sendJobWebhook(job, 'in_progress');
    return [200, job.message];
  }

  private stepResult(req: IncomingMessage, jobId: number, body: unknown): [number, unknown] {
    const runner = this.runnerFor(req);
    const job = this.state.jobs.get(jobId);
    if (!runner || !job || runner.jobId !== jobId) return [403, { message: 'not your job' }];
    job.results.push(body as EmuJob['results'][number]);
    return [201, {}];
  }

  private cancelRequested(req: IncomingMessage, jobId: number): [number, unknown] {
    const runner = this.runnerFor(req);
    const job = this.state.jobs.get(jobId);
    if (!runner || !job || runner.jobId !== jobId) return [403, { message: 'not your job' }];
    return [200, { cancelled: job.cancelRequested === true }];
  }

  private async complete(req: IncomingMessage, jobId: number, body: unknown): Promise<[number, unknown]> {
    const runner = this.runnerFor(req);
    const job = this.state.jobs.get(jobId);
    if (!runner || !job || runner.jobId !== jobId) return [403, { message: 'not your job' }];
    Object.assign(job, {
      status: 'completed',
      conclusion: (body as { conclusion?: string })?.conclusion ?? 'success',
      completed_at: new Date().toISOString(),
    });
    this.state.runOf(job).status = 'completed';
    // Ephemeral runners are removed by GitHub once their job is done.
    this.state.runners.delete(runner.id);
    await this.sendJobWebhook(job, 'completed');
    return [200, {}];
  }
}

const notFound = (): [number, unknown] => [404, { message: 'Not Found', documentation_url: API_DOCS }];

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
