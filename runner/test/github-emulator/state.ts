/**
 * The GitHub emulator's world: accounts and repositories, files at commits, workflow runs and their jobs,
 * self-hosted runners and the queue runners take jobs from, GitHub App installations and their tokens. Statuses
 * follow GitHub's REST reference (https://docs.github.com/rest/actions/workflow-runs,
 * https://docs.github.com/rest/actions/workflow-jobs): a job is `waiting` while a deployment protection rule holds
 * it, `queued` until a runner takes it, then `in_progress` and `completed`; a run's status follows its jobs.
 */
import type { Account, Repo } from './shapes.js';
import { seededRandom } from '../seeded-random.js';

export interface StandInStep {
  /** `run:` (script), `uses: docker://…` (container) or a JavaScript action (`uses: ./dir`, runs.using node20). */
  kind: 'script' | 'container' | 'node';
  name: string;
  /** script steps */
  run?: string;
  /** The entry point (the shell); default `sh`. */
  shell?: string;
  /** The shell's argument template, `{0}` = the script file (default `-e {0}`), e.g. pwsh's `-command ". '{0}'"`. */
  template?: string;
  /** The script file's extension (default `sh`). */
  ext?: string;
  /** As the runner sends it: an array newest first (v2.294.0+), or one joined string (older runners). */
  prependPath?: string[] | string;
  env?: Record<string, string>;
  /** `timeout-minutes` (fractions allowed here, to keep tests short). */
  timeoutMinutes?: number;
  /** Runs even after a failure or a cancel, like `if: always()`. */
  always?: boolean;
  /** `continue-on-error: true`: a failed (or timed-out) step does not fail the job. */
  continueOnError?: boolean;
  /** container steps (`uses: docker://image`) */
  image?: string;
  entrypoint?: string;
  /** `with.args` as written in the workflow: the runner splits it on single spaces (HookInput.cs). */
  args?: string;
  /** node steps: the action's folder relative to the workspace (`uses: ./<action>`) and its `runs.main`. */
  action?: string;
  main?: string;
  /** node steps: `with:` inputs, given to the action as INPUT_<NAME>. */
  with?: Record<string, string>;
}

/** What the emulated broker hands a runner: enough for the stand-in to drive the hooks like the real runner. */
export interface JobMessage {
  jobId: number;
  repo: string;
  /** Filled in by the emulator from the run (the runner gets them in its job message's github context). */
  runId?: number;
  runNumber?: number;
  headSha?: string;
  workflow?: string;
  /** The job's key in the workflow (`github.job`). */
  jobKey?: string;
  container?: {
    image: string;
    env?: Record<string, string>;
    options?: string;
    /** `container.credentials`, evaluated: the runner hands them to prepare_job as `registry` (HookInput.cs). */
    registry?: { username: string; password: string; serverUrl?: string };
  };
  /** `name` is the service's key under `services:` (its network alias; not sent to the hooks). */
  services?: { name: string; image: string; env?: Record<string, string>; ports?: string[]; options?: string }[];
  steps: StandInStep[];
  /**
   * Values of the job's secrets (the job message's secret variables): the runner masks each in every log line it
   * reports, as `***`.
   */
  secrets?: string[];
}

export type JobStatus = 'waiting' | 'queued' | 'in_progress' | 'completed';

/** Job conclusions a `workflow_job.completed` webhook can carry (schema `webhook-workflow-job-completed`). */
export type JobConclusion =
  'success' | 'failure' | 'cancelled' | 'skipped' | 'timed_out' | 'neutral' | 'action_required';

export interface EmuJob {
  id: number;
  run_id: number;
  run_attempt: number;
  workflow_name: string;
  head_sha: string;
  head_branch: string;
  name: string;
  labels: string[];
  status: JobStatus;
  conclusion: JobConclusion | null;
  created_at: string;
  /** Set when the job is queued and again when a runner starts it. */
  started_at: string;
  completed_at: string | null;
  runner_id: number | null;
  runner_name: string | null;
  runner_group_id: number | null;
  runner_group_name: string | null;
  html_url: string;
  message: JobMessage;
  /** Step results reported by the runner (`outputs`: what the step wrote to GITHUB_OUTPUT). */
  results: {
    name: string;
    exitCode: number;
    log: string;
    outputs?: Record<string, string>;
    /** When the emulator received the result (the step's `completed_at`; the next step's `started_at`). */
    at?: string;
  }[];
  /** "Cancel workflow" was pressed while the job ran: the runner learns it from the broker and cancels. */
  cancelRequested?: boolean;
  /** A later attempt of the run re-runs this job (it is no longer among the run's `latest` jobs). */
  supersededBy?: number;
}

export interface EmuRun {
  id: number;
  repo: string;
  path: string;
  head_sha: string;
  head_branch: string;
  name: string;
  event: string;
  run_number: number;
  workflow_id: number;
  created_at: string;
  updated_at: string;
  /** Jobs the workflow will have; later jobs (`needs:`) are added to the run as their dependencies finish. */
  planned_jobs: number;
}

export interface EmuRunner {
  id: number;
  name: string;
  repo: string | undefined;
  org: string | undefined;
  labels: string[];
  runnerGroupId: number;
  status: 'online' | 'offline';
  busy: boolean;
  token: string;
  jobId?: number;
  /** Registered through generate-jitconfig: runs one job, then GitHub removes it. */
  ephemeral?: boolean;
}

export interface EmuApp {
  id: number;
  clientId: string;
  slug: string;
  /** PEM (SPKI or PKCS#1) of the key pair whose private half signs the App's JWTs. */
  publicKey: string;
}

/** Permissions as GitHub names them in `app-permissions` (https://docs.github.com/rest/apps/apps). */
export type Permissions = Record<string, 'read' | 'write' | 'admin'>;

export interface EmuInstallation {
  id: number;
  appId: number;
  account: string;
  permissions: Permissions;
  repositorySelection: 'all' | 'selected';
  /** `owner/name` of the repositories when the selection is `selected`. */
  repositories: string[];
}

export interface EmuToken {
  token: string;
  installationId: number;
  expiresAt: number;
  permissions: Permissions;
}

/**
 * Jobs by id, also indexed by run. A run's jobs are read for every run listed (its status, its jobs page); found by
 * scanning every job each time, listing the runs of a thousand-job burst was quadratic and held the emulator —
 * and the simulation timing launches in the same process — for seconds.
 */
export class JobTable extends Map<number, EmuJob> {
  private readonly byRun = new Map<number, EmuJob[]>();

  override set(id: number, job: EmuJob): this {
    this.unindex(id);
    super.set(id, job);
    const list = this.byRun.get(job.run_id);
    if (list) list.push(job);
    else this.byRun.set(job.run_id, [job]);
    return this;
  }

  override delete(id: number): boolean {
    this.unindex(id);
    return super.delete(id);
  }

  private unindex(id: number): void {
    const old = super.get(id);
    const list = old && this.byRun.get(old.run_id);
    const i = list ? list.indexOf(old) : -1;
    if (i >= 0) list!.splice(i, 1);
  }

  override clear(): void {
    this.byRun.clear();
    super.clear();
  }

  /** The jobs of run `runId`, in the order they were added. */
  ofRun(runId: number): readonly EmuJob[] {
    return this.byRun.get(runId) ?? [];
  }
}

export class EmulatorState {
  readonly files = new Map<string, string>(); // `${repo}@${sha}:${path}` → text
  readonly runs = new Map<number, EmuRun>();
  readonly jobs = new JobTable();
  readonly runners = new Map<number, EmuRunner>();
  readonly accounts = new Map<string, Account>();
  readonly repos = new Map<string, Repo>();
  readonly apps = new Map<number, EmuApp>();
  readonly installations = new Map<number, EmuInstallation>();
  readonly tokens = new Map<string, EmuToken>();
  private nextId = 1000;
  private runNumber = 0;

  id(): number {
    return ++this.nextId;
  }

  nextRunNumber(): number {
    return ++this.runNumber;
  }

  /** The account `login`; an unknown login becomes a user (or an organization when `type` says so). */
  account(login: string, type: Account['type'] = 'User'): Account {
    const key = login.toLowerCase();
    let a = this.accounts.get(key);
    if (!a) {
      a = { login, id: this.id(), type };
      this.accounts.set(key, a);
    }
    return a;
  }

  repo(fullName: string): Repo {
    const key = fullName.toLowerCase();
    let r = this.repos.get(key);
    if (!r) {
      const [owner, name] = fullName.split('/') as [string, string];
      r = {
        id: this.id(),
        owner: this.account(owner),
        name,
        createdAt: new Date().toISOString(),
        private: true,
        defaultBranch: 'main',
      };
      this.repos.set(key, r);
    }
    return r;
  }

  putFile(repo: string, sha: string, path: string, text: string): void {
    this.files.set(`${repo}@${sha}:${path}`, text);
    this.files.set(`${repo}@HEAD:${path}`, text);
  }

  getFile(repo: string, ref: string, path: string): string | undefined {
    return this.files.get(`${repo}@${ref}:${path}`);
  }

  runOf(job: EmuJob): EmuRun {
    return this.runs.get(job.run_id)!;
  }

  repoOf(job: EmuJob): string {
    return this.runOf(job).repo;
  }

  /** The run's jobs of its latest attempt (`all`: of every attempt), oldest first. */
  jobsOf(run: EmuRun, all = false): EmuJob[] {
    return this.jobs
      .ofRun(run.id)
      .filter((j) => all || j.supersededBy === undefined)
      .sort((a, b) => a.id - b.id);
  }

  /**
   * A run's status from its jobs: `in_progress` once any job has started and until all planned jobs are done,
   * `waiting` while a job waits for approval and none runs, otherwise `queued`.
   */
  runStatus(run: EmuRun): 'queued' | 'waiting' | 'in_progress' | 'completed' {
    const jobs = this.jobsOf(run);
    const done = jobs.filter((j) => j.status === 'completed').length;
    if (jobs.length >= run.planned_jobs && done === jobs.length) return 'completed';
    if (jobs.some((j) => j.status === 'in_progress') || done > 0) return 'in_progress';
    if (jobs.some((j) => j.status === 'waiting')) return 'waiting';
    return 'queued';
  }

  /** The run's conclusion once completed: the first of failure, timed_out, cancelled among its jobs, or success. */
  runConclusion(run: EmuRun): string | null {
    if (this.runStatus(run) !== 'completed') return null;
    const got = new Set(this.jobsOf(run).map((j) => j.conclusion));
    return (['failure', 'timed_out', 'cancelled', 'action_required'] as const).find((c) => got.has(c)) ?? 'success';
  }

  /**
   * The queued job a runner gets, among those whose labels it has (and in its repository or organization), in the
   * emulator's assignment order: `oldest-first` (the default: queued jobs are served in queue order) or the
   * adversarial `newest-first` and seeded `random` — GitHub hands a job to ANY idle runner whose labels match, so
   * nothing binds a job to the runner that was registered for it, and tests must not depend on the kind order.
   */
  assignable(runner: EmuRunner, order: Assignment = { order: 'oldest-first' }): EmuJob | undefined {
    const mine = new Set(runner.labels.map((l) => l.toLowerCase()));
    const candidates = [...this.jobs.values()]
      .filter((j) => j.status === 'queued' && j.labels.every((l) => mine.has(l.toLowerCase())))
      .filter((j) => !runner.repo || this.repoOf(j) === runner.repo)
      .filter((j) => !runner.org || this.repoOf(j).toLowerCase().startsWith(`${runner.org.toLowerCase()}/`))
      .sort((a, b) => a.id - b.id);
    if (order.order === 'newest-first') return candidates[candidates.length - 1];
    if (order.order === 'random') return candidates[Math.floor(order.next() * candidates.length)];
    return candidates[0];
  }
}

/** How the emulator picks among the queued jobs a runner could take. */
export type AssignmentOrder = 'oldest-first' | 'newest-first' | { random: number };

export type Assignment =
  | { order: 'oldest-first' | 'newest-first' }
  | {
      order: 'random';
      /** The seeded generator's next number in [0, 1). */
      next: () => number;
    };

export function assignment(order: AssignmentOrder): Assignment {
  return typeof order === 'object' ? { order: 'random', next: seededRandom(order.random) } : { order };
}
