/**
 * The GitHub emulator's world: repositories with files at commits, workflow runs and jobs, self-hosted runners and
 * the queue runners take jobs from. Shapes follow GitHub's REST reference (workflow runs, workflow jobs, self-hosted
 * runners, repository contents).
 */
export interface StandInStep {
  kind: 'script' | 'container';
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
  /** container steps (`uses: docker://image`) */
  image?: string;
  entrypoint?: string;
  /** `with.args` as written in the workflow: the runner splits it on single spaces (HookInput.cs). */
  args?: string;
}

/** What the emulated broker hands a runner: enough for the stand-in to drive the hooks like the real runner. */
export interface JobMessage {
  jobId: number;
  repo: string;
  container?: { image: string; env?: Record<string, string> };
  services?: { name: string; image: string; env?: Record<string, string> }[];
  steps: StandInStep[];
}

export interface EmuJob {
  id: number;
  run_id: number;
  run_attempt: number;
  workflow_name: string;
  head_sha: string;
  name: string;
  labels: string[];
  status: 'queued' | 'in_progress' | 'completed';
  conclusion: string | null;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  runner_id: number | null;
  runner_name: string | null;
  html_url: string;
  message: JobMessage;
  /** Step results reported by the runner. */
  results: { name: string; exitCode: number; log: string }[];
  /** "Cancel workflow" was pressed while the job ran: the runner learns it from the broker and cancels. */
  cancelRequested?: boolean;
}

export interface EmuRun {
  id: number;
  repo: string;
  path: string;
  head_sha: string;
  name: string;
  status: 'queued' | 'in_progress' | 'completed';
  created_at: string;
}

export interface EmuRunner {
  id: number;
  name: string;
  repo: string | undefined;
  org: string | undefined;
  labels: string[];
  status: 'online' | 'offline';
  busy: boolean;
  token: string;
  jobId?: number;
}

export class EmulatorState {
  readonly files = new Map<string, string>(); // `${repo}@${sha}:${path}` → text
  readonly runs = new Map<number, EmuRun>();
  readonly jobs = new Map<number, EmuJob>();
  readonly runners = new Map<number, EmuRunner>();
  private nextId = 1000;

  id(): number {
    return ++this.nextId;
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

  /** The oldest queued job whose labels the runner has (GitHub's assignment, simplified to FIFO). */
  assignable(runner: EmuRunner): EmuJob | undefined {
    const mine = new Set(runner.labels.map((l) => l.toLowerCase()));
    return [...this.jobs.values()]
      .filter((j) => j.status === 'queued' && j.labels.every((l) => mine.has(l.toLowerCase()) || l === 'self-hosted'))
      .filter((j) => !runner.repo || this.repoOf(j) === runner.repo)
      .sort((a, b) => a.id - b.id)[0];
  }
}
