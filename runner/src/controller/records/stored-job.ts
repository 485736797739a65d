/**
 * What is kept per job: the facts and milestones the controller learnt, nothing derived. Owned by records; the
 * portal API maps a StoredJob to the wire type (`JobRecord` of @eci-virtual/contract) in portal-api/job-view.ts,
 * deriving latencies, duration and cost on read. Written only by lifecycle/job-lifecycle.ts.
 */
import type { JobEvent, JobRecord, JobSpot, JobStatus, SpotAttempt } from '@eci-virtual/contract';
import type { RoledImage } from '../image-cache-autopilot/image-uses.js';

/** The job's identity and placement, as the portal's wire type names them; the rest is storage-only. */
type JobIdentity = Pick<
  JobRecord,
  'id' | 'runId' | 'runAttempt' | 'repo' | 'workflow' | 'job' | 'htmlUrl' | 'conclusion' | 'labels' | 'pod' | 'node'
>;

export interface StoredJob extends JobIdentity {
  /** The job's lifecycle phase (lifecycle/phases.ts), shown by the portal as its status. */
  status: JobStatus;
  /** Who said the job finished: its runner's exit code (provisional) or GitHub's `completed` (final). */
  finishedBy?: 'runner' | 'github';
  resources: { cpu: string; memory: string };
  eciSpecs?: string[];
  images: string[];
  /** Every image of the pod (init containers included) with its role, for the image-cache autopilot. */
  imageRoles?: RoledImage[];
  imageCache: { used: boolean; id?: string; images: string[] };
  /** GitHub's `created_at` of the job. */
  queuedAt: string;
  /** When the controller first heard of the job (its webhook, or the poller when the webhook was lost). */
  receivedAt?: string;
  podCreatedAt?: string;
  /** When the controller saw the pod bound to a node. */
  scheduledAt?: string;
  runningAt?: string;
  /** GitHub's `started_at`: a runner took the job. */
  assignedAt?: string;
  /** GitHub's `started_at` of the job's first own step (workflow-job.ts `firstStepAt`). */
  firstStepAt?: string;
  finishedAt?: string;
  /** The job's timeline (pod events, runner exit, launch problems), oldest first. */
  events: JobEvent[];
  /** Spot: asked for, fallen back, reclaimed, re-run (lifecycle/spot-record.ts). */
  spot?: JobSpot;
  /** Both attempts of a job re-run after a spot reclaim, oldest first. */
  spotAttempts?: SpotAttempt[];
}

/** Reading records: what the portal API and the controller's reads need. */
export interface JobRecordReader {
  get(id: string): Promise<StoredJob | undefined>;
  /** The records of one repository, in no particular order. */
  list(repo: string): Promise<StoredJob[]>;
}

/** Computes a job's next record from its current one (undefined: none yet); returns undefined to write nothing. */
export type RecordChange = (current: StoredJob | undefined) => StoredJob | undefined;

/** Reading and writing records. Only lifecycle/job-lifecycle.ts holds one; everyone else gets a JobRecordReader. */
export interface JobRecordStore extends JobRecordReader {
  /**
   * Reads the job's record, hands it to `change` and writes what `change` returns — nothing when it returns
   * undefined or the record as it was — with the read's resourceVersion as precondition. On a conflict it reads again
   * and calls `change` again, so `change` must be pure. Throws `Conflict` after repeated conflicts and whatever the
   * API server answered otherwise: retrying is the caller's decision.
   */
  update(id: string, change: RecordChange): Promise<void>;
  /** Deletes the records whose TTL ran out; returns how many. */
  prune(now?: number): Promise<number>;
}

const eventKey = (e: JobEvent) => `${e.at}\u0000${e.reason}\u0000${e.message}`;

/** `existing` plus the events of `added` not already in it, oldest first, the newest `max` kept. */
export function mergeEvents(existing: readonly JobEvent[], added: readonly JobEvent[], max = 50): JobEvent[] {
  const seen = new Set(existing.map(eventKey));
  const merged = [...existing];
  for (const e of added) {
    if (seen.has(eventKey(e))) continue;
    seen.add(eventKey(e));
    merged.push(e);
  }
  // Array.prototype.sort is stable: same-instant events keep the order they were written in.
  return merged.sort((a, b) => Date.parse(a.at) - Date.parse(b.at)).slice(-max);
}
