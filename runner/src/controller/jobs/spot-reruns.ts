/**
 * Re-runs a job once when its spot pod was reclaimed. ECI warns a spot group minutes ahead (`SpotToBeReleased`,
 * copied to the pod's events) and then releases it; the virtual node fails the pod with reason `SpotReclaimed`. The
 * runner dies with it and GitHub concludes the job as not successful. Once both are known — the reclaim (from the
 * pod) and GitHub's conclusion (webhook or poll), in either order — the job's one re-run is claimed in its record
 * (records/spot-record.ts: written once, so racing events and restarted controllers never re-run it twice) and asked
 * of GitHub ("Re-run a job from a workflow run"; the App needs `actions: write`). The re-run is the run's next attempt
 * with a new job id; the launcher places it pay-as-you-go, and its record is linked to the reclaimed attempt.
 */
import { SPOT_REASON, type JobEvent } from '@eci-virtual/contract';
import type { V1Pod } from '@kubernetes/client-node';
import type { Logger } from '../../observability/logger.js';
import type { GitHubClient } from '../github/github-client.js';
import type { WorkflowJob } from '../github/workflow-job.js';
import type { JobLifecycle } from '../lifecycle/job-lifecycle.js';
import { attemptOf, previousAttempt } from '../records/spot-record.js';
import type { JobRecordReader } from '../records/stored-job.js';

export interface SpotRerunDeps {
  lifecycle: Pick<
    JobLifecycle,
    'spotReclaimed' | 'claimSpotRerun' | 'spotRerunQueued' | 'spotAttemptChanged' | 'eventsCopied'
  >;
  records: JobRecordReader;
  github: Pick<GitHubClient, 'rerunJob'>;
  log: Logger;
  onRerun?: (outcome: 'requested' | 'failed') => void;
}

/** Whether a finished job pod was reclaimed spot capacity: its status reason, or ECI's notice among its events. */
export function wasReclaimed(pod: V1Pod, events: readonly JobEvent[]): string | undefined {
  const notice = events.find((e) => e.reason === SPOT_REASON.notice);
  if (notice) return notice.at;
  return pod.status?.reason === SPOT_REASON.reclaimed ? new Date().toISOString() : undefined;
}

export class SpotReruns {
  constructor(private readonly deps: SpotRerunDeps) {}

  /** A job pod finished: if spot capacity was reclaimed under it, note it, then re-run the job if GitHub is done. */
  async podFinished(jobId: string, pod: V1Pod, events: readonly JobEvent[]): Promise<void> {
    const at = wasReclaimed(pod, events);
    if (!at) return;
    this.deps.log.warn('spot capacity reclaimed under a job pod', { job: jobId, pod: pod.metadata?.name, at });
    await this.deps.lifecycle.spotReclaimed(jobId, at);
    await this.maybeRerun(jobId);
  }

  /** GitHub says the job completed: re-run it if its spot pod was reclaimed; keep the attempts' list current. */
  async completed(jobId: string): Promise<void> {
    await this.maybeRerun(jobId);
    const record = await this.deps.records.get(jobId).catch(() => undefined);
    if (!record?.spotAttempts?.length) return;
    await this.deps.lifecycle.spotAttemptChanged(jobId, attemptOf(record));
    if (record.spot?.rerunOf) await this.deps.lifecycle.spotAttemptChanged(record.spot.rerunOf, attemptOf(record));
  }

  /** A queued job that is a later attempt: when it is our re-run of a reclaimed attempt, link the two records. */
  async queued(job: WorkflowJob): Promise<void> {
    if (job.runAttempt <= 1) return;
    const records = await this.deps.records.list(job.repo).catch(() => []);
    const previous = previousAttempt(records, {
      id: String(job.id),
      runId: String(job.runId),
      runAttempt: job.runAttempt,
      job: job.name,
    });
    if (previous) await this.deps.lifecycle.spotRerunQueued(String(job.id), previous);
  }

  private async maybeRerun(jobId: string): Promise<void> {
    const claimed = await this.deps.lifecycle.claimSpotRerun(jobId);
    if (!claimed) return;
    const log = this.deps.log.child({ job: jobId, repo: claimed.repo });
    try {
      await this.deps.github.rerunJob(claimed.repo, Number(jobId));
      log.info('job re-run after its spot pod was reclaimed', { reclaimedAt: claimed.spot?.reclaimedAt });
      this.deps.onRerun?.('requested');
    } catch (err) {
      // Claimed and not retried: a second request could run the job twice; the record says what happened.
      const message = `the re-run after the spot reclaim failed: ${(err as Error).message}`;
      log.error('spot re-run failed', { err: (err as Error).message });
      const at = new Date().toISOString();
      await this.deps.lifecycle.eventsCopied(jobId, [
        { at, type: 'Warning', reason: `${SPOT_REASON.rerun}Failed`, message },
      ]);
      this.deps.onRerun?.('failed');
    }
  }
}
