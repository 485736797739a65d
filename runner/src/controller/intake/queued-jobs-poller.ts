/**
 * Webhook deliveries are not guaranteed, so the controller also lists queued jobs through the REST API every
 * `pollIntervalSeconds` (and once at start-up). Bounded: one repository at a time, errors logged and retried on the
 * next round, cancellable. `onRound` gets each repository's full list after its jobs went through `onQueued`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../observability/logger.js';
import type { GitHubClient } from '../github/github-client.js';
import type { WorkflowJob } from '../github/workflow-job.js';

export async function pollQueuedJobs(opts: {
  github: GitHubClient;
  repositories: string[];
  intervalSeconds: number;
  log: Logger;
  onQueued: (job: WorkflowJob) => Promise<unknown>;
  /** Before a round lists any repository (the controller takes GitHub's runner list then). */
  onRoundStart?: () => Promise<unknown>;
  /** Every queued job of `repo` at this round (the controller's view of who waits for a runner). */
  onRound?: (repo: string, jobs: WorkflowJob[]) => Promise<unknown>;
  signal: AbortSignal;
}): Promise<void> {
  const { log, signal } = opts;
  while (!signal.aborted) {
    await opts
      .onRoundStart?.()
      .catch((err: unknown) => log.debug('poll round start failed', { err: (err as Error).message }));
    for (const repo of opts.repositories) {
      if (signal.aborted) break;
      try {
        const jobs = await opts.github.listQueuedJobs(repo);
        for (const job of jobs) await opts.onQueued(job);
        await opts.onRound?.(repo, jobs);
        if (jobs.length) log.debug('poll found queued jobs', { repo, count: jobs.length });
      } catch (err) {
        log.warn('polling queued jobs failed; retrying next round', { repo, err: (err as Error).message });
      }
    }
    await sleep(opts.intervalSeconds * 1000, undefined, { signal }).catch(() => undefined);
  }
}
