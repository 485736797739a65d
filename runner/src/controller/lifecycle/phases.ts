/**
 * The phases of a job and which phase may follow which. Pure: no I/O. The phases are the portal's job statuses (one
 * vocabulary, `JobStatus` of @eci-virtual/contract), stored as a record's `status`:
 *
 *   queued ─▶ pending (pod created) ─▶ running (all its containers run) ─▶ succeeded | failed | cancelled
 *
 * A job may skip ahead — cancelled while queued, completed before we saw its pod running — but never moves back.
 *
 * Events arrive late, twice and out of order (webhook redeliveries, the poller, a restarted controller re-listing
 * pods), so a phase never follows itself and a finished job never moves back. The one exception: a finish taken from
 * the runner container's exit code is provisional — it is what the controller saw, GitHub's conclusion is the job's
 * result of record — so GitHub's `completed` may settle it once, to any finished phase. A settled job never changes
 * phase again.
 */
import type { JobStatus } from '@eci-virtual/contract';
import type { StoredJob } from '../records/stored-job.js';

export type JobPhase = JobStatus;

export const JOB_PHASES = [
  'queued',
  'pending',
  'running',
  'succeeded',
  'failed',
  'cancelled',
] as const satisfies readonly JobPhase[];

/** Which phase may follow which; the finished phases are followed by nothing (see `mayMove` for GitHub's word). */
export const NEXT_PHASES: Readonly<Record<JobPhase, readonly JobPhase[]>> = {
  queued: ['pending', 'running', 'succeeded', 'failed', 'cancelled'],
  pending: ['running', 'succeeded', 'failed', 'cancelled'],
  running: ['succeeded', 'failed', 'cancelled'],
  succeeded: [],
  failed: [],
  cancelled: [],
};

export const isFinished = (phase: JobPhase): boolean => NEXT_PHASES[phase].length === 0;

/** Who said a job finished: the runner container's exit code (provisional) or GitHub's conclusion (final). */
export type FinishedBy = NonNullable<StoredJob['finishedBy']>;

export interface PhaseState {
  phase: JobPhase;
  /** Set once the job finished. */
  finishedBy?: FinishedBy;
}

/**
 * Whether a job in `from` may move to `to`, on word from `by` when the move finishes it. The table, plus GitHub
 * settling a provisional finish — to the same phase too, which records the conclusion.
 */
export function mayMove(from: PhaseState, to: JobPhase, by?: FinishedBy): boolean {
  if (isFinished(from.phase)) return by === 'github' && from.finishedBy !== 'github' && isFinished(to);
  return NEXT_PHASES[from.phase].includes(to);
}

/** The finished phase of a GitHub conclusion (`success`, `cancelled`; anything else, or none, is a failure). */
export const phaseOfConclusion = (conclusion: string | null | undefined): JobPhase =>
  conclusion === 'success' ? 'succeeded' : conclusion === 'cancelled' ? 'cancelled' : 'failed';

/** The provisional finished phase of the runner container's exit code. */
export const phaseOfExitCode = (exitCode: number): JobPhase => (exitCode === 0 ? 'succeeded' : 'failed');
