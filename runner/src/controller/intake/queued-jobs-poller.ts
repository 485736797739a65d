/**
 * Webhook deliveries are not guaranteed, so the controller also lists queued jobs through the REST API every
 * `pollIntervalSeconds` (and once at start-up). Bounded: one repository at a time, at most `runsPerRound` runs' jobs
 * read per repository and round (the others in later rounds, run-rotation.ts), errors logged and retried on the next
 * round, cancellable. `onRound` gets each repository's queued jobs of the runs read, after they went through
 * `onQueued`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../observability/logger.js';
import type { GitHubClient } from '../github/github-client.js';
import type { WorkflowJob } from '../github/workflow-job.js';
import { RunRotation } from './run-rotation.js';

export async function pollQueuedJobs(opts: {
  github: Pick<GitHubClient, 'listActiveRunIds' | 'listQueuedJobsOfRun'>;
  repositories: string[];
  intervalSeconds: number;
  /** Runs whose jobs one round reads per repository (default: all of them). */
  runsPerRound?: number;
  log: Logger;
  onQueued: (job: WorkflowJob) => Promise<unknown>;
  /** Before a round lists any repository (the controller takes GitHub's runner list then). */
  onRoundStart?: () => Promise<unknown>;
  /** The queued jobs of `repo` in the runs this round read. */
  onRound?: (repo: string, jobs: WorkflowJob[]) => Promise<unknown>;
  /** The runs of `repo` the controller already holds a queued job of (those are read after the others). */
  knownRuns?: (repo: string) => ReadonlySet<number>;
  signal: AbortSignal;
}): Promise<void> {
  const { log, signal } = opts;
  const rotation = new RunRotation();
  const limit = opts.runsPerRound ?? Number.POSITIVE_INFINITY;
  while (!signal.aborted) {
    await opts
      .onRoundStart?.()
      .catch((err: unknown) => log.debug('poll round start failed', { err: (err as Error).message }));
    for (const repo of opts.repositories) {
      if (signal.aborted) break;
      try {
        const runIds = await opts.github.listActiveRunIds(repo);
        const known = opts.knownRuns?.(repo) ?? new Set<number>();
        const chosen = rotation.choose(repo, runIds, limit, (id) => known.has(id));
        const jobs: WorkflowJob[] = [];
        for (const runId of chosen) {
          if (signal.aborted) break;
          jobs.push(...(await opts.github.listQueuedJobsOfRun(repo, runId)));
        }
        if (signal.aborted) break;
        for (const job of jobs) await opts.onQueued(job);
        const unread = runIds.length - chosen.length;
        await opts.onRound?.(repo, jobs);
        if (jobs.length || unread)
          log.debug('poll found queued jobs', { repo, count: jobs.length, runs: runIds.length, unread });
      } catch (err) {
        log.warn('polling queued jobs failed; retrying next round', { repo, err: (err as Error).message });
      }
    }
    await sleep(opts.intervalSeconds * 1000, undefined, { signal }).catch(() => undefined);
  }
}
