/**
 * A job's queue breakdown (`QueueBreakdown` of @eci-virtual/contract): from its stored marks — GitHub's timestamps,
 * the controller's observations and the pod's events — the time from queued to its first step, phase by phase. Pure.
 *
 * Marks are clamped to be monotonic: GitHub and Kubernetes timestamps have second precision, the controller's have
 * milliseconds, so a later mark may read a few hundred ms earlier than the one before; that phase is then 0.
 */
import { QUEUE_PHASES, type QueueBreakdown, type QueuePhase } from '@eci-virtual/contract';
import type { StoredJob } from './stored-job.js';

/** When the pod's images were ready: its last `Pulled` event between pod creation and running, if any. */
export function imagesReadyAt(s: StoredJob): string | undefined {
  if (!s.podCreatedAt) return undefined;
  // Event times have second precision: a pull finished within the pod's first second reads as before its creation.
  const from = Math.floor(Date.parse(s.podCreatedAt) / 1000) * 1000;
  const to = s.runningAt ? Date.parse(s.runningAt) : Infinity;
  let last: number | undefined;
  for (const e of s.events) {
    if (e.reason !== 'Pulled') continue;
    const at = Date.parse(e.at);
    if (at >= from && at <= to && (last === undefined || at > last)) last = at;
  }
  return last === undefined ? undefined : new Date(last).toISOString();
}

/** The end mark of each phase, in QUEUE_PHASES order. */
function marks(s: StoredJob): Record<QueuePhase, string | undefined> {
  return {
    webhook: s.receivedAt,
    launch: s.podCreatedAt,
    schedule: s.scheduledAt,
    images: imagesReadyAt(s),
    runner: s.runningAt,
    assign: s.assignedAt,
    setup: s.firstStepAt,
  };
}

/** The breakdown, once the job's pod exists; undefined before (or when its marks cannot be read). */
export function queueBreakdown(s: StoredJob): QueueBreakdown | undefined {
  const start = Date.parse(s.queuedAt);
  if (!s.podCreatedAt || Number.isNaN(start)) return undefined;
  const at = marks(s);
  const phases: QueueBreakdown['phases'] = [];
  let prev = start;
  for (const phase of QUEUE_PHASES) {
    const mark = at[phase] ? Date.parse(at[phase]!) : NaN;
    if (Number.isNaN(mark)) continue;
    const end = Math.max(prev, mark);
    phases.push({ phase, ms: end - prev });
    prev = end;
  }
  return { phases, totalMs: prev - start, complete: at.setup !== undefined };
}
