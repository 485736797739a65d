import { describe, expect, it } from '@jest/globals';
import { imagesReadyAt, queueBreakdown } from './queue-breakdown.js';
import type { StoredJob } from './stored-job.js';

const base: StoredJob = {
  id: '1',
  runId: '1',
  runAttempt: 1,
  repo: 'o/r',
  workflow: 'ci',
  job: 'test',
  htmlUrl: 'https://github.com/o/r/actions/runs/1/job/1',
  status: 'succeeded',
  labels: ['eci-virtual'],
  resources: { cpu: '1', memory: '2Gi' },
  images: [],
  imageCache: { used: false, images: [] },
  queuedAt: '2026-12-05T10:00:00Z',
  events: [],
};
const pulled = (at: string) => ({ at, type: 'Normal' as const, reason: 'Pulled', message: 'pulled' });

describe('queueBreakdown', () => {
  it('splits queued → first step into the seven phases, adding up to the total', () => {
    const b = queueBreakdown({
      ...base,
      receivedAt: '2026-12-05T10:00:00.400Z',
      podCreatedAt: '2026-12-05T10:00:00.900Z',
      scheduledAt: '2026-12-05T10:00:01.000Z',
      events: [pulled('2026-12-05T10:00:03Z'), pulled('2026-12-05T10:00:05Z'), pulled('2026-12-05T10:09:00Z')],
      runningAt: '2026-12-05T10:00:06.500Z',
      assignedAt: '2026-12-05T10:00:08Z',
      firstStepAt: '2026-12-05T10:00:09Z',
    });
    expect(b).toEqual({
      phases: [
        { phase: 'webhook', ms: 400 },
        { phase: 'launch', ms: 500 },
        { phase: 'schedule', ms: 100 },
        // the last Pulled event before the pod ran; a later one (a step container's image) is not queue time
        { phase: 'images', ms: 4000 },
        { phase: 'runner', ms: 1500 },
        { phase: 'assign', ms: 1500 },
        { phase: 'setup', ms: 1000 },
      ],
      totalMs: 9000,
      complete: true,
    });
  });

  it('folds a phase whose start is unknown into the next known one, and clamps marks that read earlier', () => {
    const b = queueBreakdown({
      ...base,
      podCreatedAt: '2026-12-05T10:00:02.000Z',
      runningAt: '2026-12-05T10:00:05.700Z',
      // GitHub's second-precision started_at reads before the controller saw the containers run
      assignedAt: '2026-12-05T10:00:05Z',
    });
    expect(b).toEqual({
      phases: [
        { phase: 'launch', ms: 2000 },
        { phase: 'runner', ms: 3700 },
        { phase: 'assign', ms: 0 },
      ],
      totalMs: 5700,
      complete: false,
    });
  });

  it('has no breakdown before the pod exists', () => {
    expect(queueBreakdown({ ...base, receivedAt: '2026-12-05T10:00:01Z' })).toBeUndefined();
  });

  it('reads images ready from Pulled events within the pod’s start, second precision allowed', () => {
    const s = { ...base, podCreatedAt: '2026-12-05T10:00:00.700Z', runningAt: '2026-12-05T10:00:02Z' };
    expect(imagesReadyAt({ ...s, events: [pulled('2026-12-05T10:00:00Z')] })).toBe('2026-12-05T10:00:00.000Z');
    expect(imagesReadyAt({ ...s, events: [pulled('2026-12-05T09:59:59Z')] })).toBeUndefined();
    expect(imagesReadyAt(s)).toBeUndefined();
  });
});
