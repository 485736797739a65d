/**
 * Runner pods whose own job is over but whose runner idles: GitHub gave that job to another runner (or it was
 * cancelled while queued), so this pod's runner would wait for a job forever — and keep billing. The `completed`
 * webhook reaps such a pod at once (controller.ts onCompleted); this round catches what a lost or late webhook
 * missed, within `idleReapSeconds`: for each runner pod whose runner is registered and not busy, one `GET job`; if
 * the pod's own job has completed, the runner is deregistered and the pod cleaned up. Deregistering is also the
 * safety: GitHub refuses to delete a runner that runs a job, so a pod whose runner took a job is never reaped.
 * A job may have several runner pods (slots, naming.ts): each is judged by its own runner.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { ANNOTATION, LABEL } from '@eci-virtual/contract';
import type { Logger } from '../../observability/logger.js';
import type { ControllerConfig } from '../config.js';
import type { GitHubClient } from '../github/github-client.js';
import { runnerName, slotOfPod } from './naming.js';
import { milestones } from './pod-tracker.js';

export interface IdleReaperDeps {
  github: Pick<GitHubClient, 'listRunners' | 'getJob'>;
  config: Pick<ControllerConfig, 'runnerScope'>;
  log: Logger;
  pods: () => readonly V1Pod[];
  /** Deregisters the runner of the pod of slot `slot` (refused while it runs a job) and cleans up; true when it did. */
  reap: (slot: string) => Promise<boolean>;
}

/** Pods younger than this are not asked about: their job was queued moments ago. */
const MIN_AGE_MS = 10_000;

export async function reapIdleRunnerPods(deps: IdleReaperDeps, now = Date.now()): Promise<string[]> {
  const candidates = deps.pods().filter((p) => {
    const created = p.metadata?.creationTimestamp ? new Date(p.metadata.creationTimestamp).getTime() : now;
    return !milestones(p).finished && now - created >= MIN_AGE_MS && p.metadata?.labels?.[LABEL.jobId];
  });
  if (!candidates.length) return [];
  const runners = await deps.github.listRunners(deps.config.runnerScope);
  const reaped: string[] = [];
  for (const pod of candidates) {
    const jobId = pod.metadata!.labels![LABEL.jobId]!;
    const slot = slotOfPod(pod) ?? jobId;
    const repo = pod.metadata?.annotations?.[ANNOTATION.repository];
    const runner = runners.find(
      (r) => r.name === (pod.metadata?.annotations?.[ANNOTATION.runnerName] ?? runnerName(slot)),
    );
    if (!repo || !runner || runner.busy) continue;
    const job = await deps.github.getJob(repo, Number(jobId)).catch(() => undefined);
    if (job?.status !== 'completed') continue;
    deps.log.info('own job finished elsewhere and the runner idles: reaping the pod', {
      job: jobId,
      slot,
      pod: pod.metadata?.name,
      ranOn: job.runnerName,
      conclusion: job.conclusion,
    });
    if (await deps.reap(slot)) reaped.push(slot);
  }
  return reaped;
}
