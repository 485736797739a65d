/**
 * What spot capacity did to a job, as record changes (pure; the lifecycle applies them in its optimistic writes):
 *
 *   - the pod asked for spot (`podCreated`): `spot.preferred`;
 *   - the backend fell back to pay-as-you-go: a `SpotFallback` pod event → `spot.fellBack`;
 *   - ECI reclaimed the spot pod (`SpotToBeReleased` event, or the pod failed as `SpotReclaimed`): `spot.reclaimedAt`;
 *   - the controller claims the job's one re-run: `spot.rerunRequestedAt`, written once — the claim is what makes
 *     "never more than once per job" hold across events racing for it, and across controller restarts;
 *   - the re-run attempt (a new job id on GitHub, the next `run_attempt` of the same run) is linked to the attempt it
 *     re-runs: `spot.rerunOf`, and both records list both attempts in `spotAttempts`.
 */
import { SPOT_REASON, type JobEvent, type SpotAttempt } from '@eci-virtual/contract';
import type { StoredJob } from './stored-job.js';

/** One attempt as the records list it. */
export function attemptOf(r: StoredJob): SpotAttempt {
  return {
    jobId: r.id,
    runAttempt: r.runAttempt,
    spot: r.spot?.preferred === true && r.spot.fellBack !== true,
    outcome: r.spot?.reclaimedAt ? 'reclaimed' : r.status,
    ...(r.conclusion ? { conclusion: r.conclusion } : {}),
    ...(r.pod ? { pod: r.pod } : {}),
    ...(r.spot?.reclaimedAt ? { reclaimedAt: r.spot.reclaimedAt } : {}),
  };
}

/** `attempts` with `a` in place of the entry of its job (or appended), in run-attempt order. */
export function withAttempt(attempts: readonly SpotAttempt[] | undefined, a: SpotAttempt): SpotAttempt[] {
  return [...(attempts ?? []).filter((x) => x.jobId !== a.jobId), a].sort((x, y) => x.runAttempt - y.runAttempt);
}

/** The spot facts pod events tell (a fallback, a reclaim notice), or undefined when they tell nothing new. */
export function spotFromEvents(r: StoredJob, events: readonly JobEvent[]): StoredJob['spot'] | undefined {
  if (!r.spot?.preferred) return undefined;
  const fellBack = !r.spot.fellBack && events.some((e) => e.reason === SPOT_REASON.fallback);
  const notice = events.find((e) => e.reason === SPOT_REASON.notice);
  const reclaimedAt = !r.spot.reclaimedAt && notice ? notice.at : undefined;
  if (!fellBack && !reclaimedAt) return undefined;
  return { ...r.spot, ...(fellBack ? { fellBack: true } : {}), ...(reclaimedAt ? { reclaimedAt } : {}) };
}

/** The spot pod of the job was reclaimed (seen at `at`); the first observation stays. */
export function reclaimed(r: StoredJob, at: string): StoredJob | undefined {
  if (!r.spot?.preferred || r.spot.fellBack || r.spot.reclaimedAt) return undefined;
  return { ...r, spot: { ...r.spot, reclaimedAt: at } };
}

/**
 * Whether the job gets its one automatic re-run: its spot pod was reclaimed, GitHub has said it did not succeed, it
 * is not itself a re-run, and no re-run was asked for yet.
 */
export function mayRerun(r: StoredJob): boolean {
  const s = r.spot;
  return (
    !!s?.preferred &&
    !!s.reclaimedAt &&
    !s.rerunRequestedAt &&
    !s.rerunOf &&
    r.finishedBy === 'github' &&
    (r.status === 'failed' || r.status === 'cancelled')
  );
}

/** Claims the re-run: `rerunRequestedAt` and the first attempt listed; undefined when the job may not be re-run. */
export function claimRerun(r: StoredJob, at: string): StoredJob | undefined {
  if (!mayRerun(r)) return undefined;
  const next: StoredJob = { ...r, spot: { ...r.spot!, rerunRequestedAt: at } };
  const event: JobEvent = {
    at,
    type: 'Normal',
    reason: SPOT_REASON.rerun,
    message: `spot capacity reclaimed at ${r.spot!.reclaimedAt}; the job is re-run once (pay-as-you-go)`,
  };
  return { ...next, spotAttempts: withAttempt(r.spotAttempts, attemptOf(next)), events: [...r.events, event] };
}

/** The previous attempt whose re-run `job` is: same repository, run and job name, one attempt earlier, re-run asked. */
export function previousAttempt(
  records: readonly StoredJob[],
  job: { id: string; runId: string; runAttempt: number; job: string },
): StoredJob | undefined {
  return records.find(
    (r) =>
      r.id !== job.id &&
      r.runId === job.runId &&
      r.job === job.job &&
      r.runAttempt === job.runAttempt - 1 &&
      !!r.spot?.rerunRequestedAt,
  );
}

/** The re-run attempt's record, linked to the attempt it re-runs. */
export function linkRerun(r: StoredJob, previous: StoredJob): StoredJob | undefined {
  if (r.spot?.rerunOf === previous.id) return undefined;
  const spot = { ...(r.spot ?? { preferred: false }), rerunOf: previous.id };
  const attempts = withAttempt(withAttempt(previous.spotAttempts, attemptOf(previous)), attemptOf({ ...r, spot }));
  return { ...r, spot, spotAttempts: attempts };
}

/** `r` (any attempt) with `attempt`'s entry brought up to date, when `r` lists attempts. */
export function attemptSettled(r: StoredJob, attempt: SpotAttempt): StoredJob | undefined {
  if (!r.spotAttempts?.length) return undefined;
  const before = r.spotAttempts.find((a) => a.jobId === attempt.jobId);
  if (before && JSON.stringify(before) === JSON.stringify(attempt)) return undefined;
  return { ...r, spotAttempts: withAttempt(r.spotAttempts, attempt) };
}
