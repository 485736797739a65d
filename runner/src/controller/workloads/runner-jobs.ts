/**
 * Which job each of our runners really took. GitHub names the runner in the job's `in_progress` webhook
 * (`workflow_job.runner_name`) and in the REST API's job objects; when the webhook is late or lost, `find` asks the
 * API (the jobs of the run the runner told its hooks about, else of every in-progress run), retrying until a bound.
 * Memory only: after a restart the API answers again.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Timeout } from '@eci-virtual/contract';
import type { GitHubClient } from '../github/github-client.js';
import type { WorkflowJob } from '../github/workflow-job.js';

const MAX_KNOWN = 5_000;

export class RunnerJobs {
  private readonly byRunner = new Map<string, WorkflowJob>();

  /** A job GitHub says a runner took (`in_progress` or `completed` with `runner_name`). */
  note(job: WorkflowJob): void {
    if (!job.runnerName) return;
    this.byRunner.delete(job.runnerName);
    this.byRunner.set(job.runnerName, job);
    if (this.byRunner.size > MAX_KNOWN) this.byRunner.delete(this.byRunner.keys().next().value!);
  }

  known(runnerName: string): WorkflowJob | undefined {
    return this.byRunner.get(runnerName);
  }

  /** The runner known to have taken job `jobId`, if any. */
  runnerOf(jobId: string): string | undefined {
    for (const [runner, job] of this.byRunner) if (String(job.id) === jobId) return runner;
    return undefined;
  }

  forget(runnerName: string): void {
    this.byRunner.delete(runnerName);
  }

  /** The job `runnerName` took: known, else from the API, every `intervalMs` until `timeoutMs`. */
  async find(
    github: Pick<GitHubClient, 'findRunnerJob'>,
    repo: string,
    runnerName: string,
    opts: { runId?: number; timeoutMs?: number; intervalMs?: number; signal?: AbortSignal } = {},
  ): Promise<WorkflowJob> {
    const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
    for (;;) {
      const known = this.known(runnerName);
      if (known) return known;
      const found = await github.findRunnerJob(repo, runnerName, opts.runId);
      if (found) {
        this.note(found);
        return found;
      }
      if (Date.now() >= deadline)
        throw new Timeout(`GitHub does not show a job taken by runner ${runnerName} in ${repo}`, {
          hint: 'the runner has just taken it; the hook asks again',
        });
      await sleep(opts.intervalMs ?? 2_000, undefined, opts.signal ? { signal: opts.signal } : {});
    }
  }
}
