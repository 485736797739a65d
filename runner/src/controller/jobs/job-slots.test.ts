import { describe, expect, it } from '@jest/globals';
import type { V1Pod } from '@kubernetes/client-node';
import { ANNOTATION, CONTAINER, LABEL } from '@eci-virtual/contract';
import { isAvailable, jobsShortOfRunner, nextGeneration, slotOfRunnerPod, slotsOf, type JobSlot } from './job-slots.js';
import {
  jitSecretName,
  jobResourceName,
  parseSlot,
  runnerName,
  slotKey,
  slotOfResource,
  slotOfRunner,
} from './naming.js';

const pod = (slot: string, extra: { created?: string; finished?: boolean; deleting?: boolean } = {}): V1Pod => ({
  metadata: {
    name: jobResourceName(slot),
    labels: { [LABEL.jobId]: parseSlot(slot)!.jobId },
    annotations: { [ANNOTATION.runnerName]: runnerName(slot) },
    ...(extra.created ? { creationTimestamp: new Date(extra.created) } : {}),
    ...(extra.deleting ? { deletionTimestamp: new Date() } : {}),
  },
  status: extra.finished
    ? { containerStatuses: [{ name: CONTAINER.runner, state: { terminated: { exitCode: 0 } } } as never] }
    : {},
});
const slot = (key: string, extra?: Parameters<typeof pod>[1]) => slotOfRunnerPod(pod(key, extra))!;
const nobodyTook = () => undefined;

describe('runner slot names', () => {
  it('keeps the job id for the first slot and suffixes later ones, and reads both back', () => {
    expect(slotKey(1004)).toBe('1004');
    expect(slotKey(1004, 3)).toBe('1004-3');
    expect([jobResourceName('1004-3'), jitSecretName('1004-3'), runnerName('1004-3')]).toEqual([
      'eci-job-1004-3',
      'eci-job-1004-3-jit',
      'eci-virtual-1004-3',
    ]);
    expect(parseSlot('1004-3')).toEqual({ jobId: '1004', generation: 3 });
    expect(parseSlot('1004')).toEqual({ jobId: '1004', generation: 1 });
    expect(slotOfRunner('eci-virtual-1004-3')).toBe('1004-3');
    expect(slotOfRunner('eci-virtual-1004')).toBe('1004');
    expect(slotOfRunner('someone-else')).toBeUndefined();
    expect(slotOfResource('eci-job-1004-3-jit')).toBe('1004-3');
    // A workload pod (`-w`) is no runner slot.
    expect(slotOfResource('eci-job-1004-w')).toBeUndefined();
  });

  it('numbers the next slot after every slot the job has or had', () => {
    const pods = [pod('7'), pod('7-2'), pod('8')];
    expect(nextGeneration([], '7')).toBe(1);
    expect(nextGeneration(pods, '7')).toBe(3);
    expect(nextGeneration(pods, '7', 5)).toBe(6);
    expect(slotsOf(pods, '7').map((s) => s.runner)).toEqual(['eci-virtual-7', 'eci-virtual-7-2']);
  });
});

describe('available runners', () => {
  it('is available while its pod is up and its runner took no job', () => {
    expect(isAvailable(slot('7'), nobodyTook)).toBe(true);
    expect(isAvailable(slot('7', { finished: true }), nobodyTook)).toBe(false);
    expect(isAvailable(slot('7', { deleting: true }), nobodyTook)).toBe(false);
    expect(isAvailable(slot('7'), (r) => (r === 'eci-virtual-7' ? { id: 9 } : undefined))).toBe(false);
  });

  it("trusts GitHub's runner list when webhooks are lost: busy or removed runners are not available", () => {
    const at = Date.parse('2026-01-01T00:01:00Z');
    const old = { created: '2026-01-01T00:00:00Z' };
    const runners = [
      { name: 'eci-virtual-1', busy: false },
      { name: 'eci-virtual-2', busy: true },
    ];
    expect(isAvailable(slot('1', old), nobodyTook, { at, runners })).toBe(true);
    expect(isAvailable(slot('2', old), nobodyTook, { at, runners })).toBe(false);
    expect(isAvailable(slot('3', old), nobodyTook, { at, runners })).toBe(false);
    // A pod younger than the list: its runner may have registered after it was taken.
    expect(isAvailable(slot('3', { created: '2026-01-01T00:01:01Z' }), nobodyTook, { at, runners })).toBe(true);
  });
});

describe('jobs short of a runner', () => {
  const jobs = (...ids: number[]) => ids.map((id) => ({ id }));
  const none = () => false;

  it('opens nothing while the runners that may still take a job are as many as the queued jobs', () => {
    // A swap: job 2's runner took job 3; job 3's runner is still up and will take job 2.
    expect(jobsShortOfRunner(jobs(1, 2), [slot('1'), slot('3')], none, 0)).toEqual([]);
  });

  it('opens a slot for the oldest queued jobs without an available runner of their own, as many as are missing', () => {
    // Jobs 1, 2, 4 wait; only job 4's runner may take one (the others took other jobs or were reaped).
    expect(jobsShortOfRunner(jobs(4, 2, 1), [slot('4')], none, 0)).toEqual(jobs(1, 2));
  });

  it('counts launches in flight as runners to come', () => {
    const inFlight = (id: number) => id === 1;
    expect(jobsShortOfRunner(jobs(1, 2), [] as JobSlot[], inFlight, 1)).toEqual(jobs(2));
    expect(jobsShortOfRunner(jobs(1, 2), [slot('5')], inFlight, 1)).toEqual([]);
  });

  it('serves a bound job by its own runners only, and counts none of them for other jobs', () => {
    const bound = (j: { id: number }) => j.id === 2;
    // Job 2 is bound and its runner took another job; job 1's runner is up: job 2 needs a slot of its own.
    expect(jobsShortOfRunner(jobs(1, 2), [slot('1'), slot('3')], none, 0, bound)).toEqual(jobs(2));
    // Job 2's own runner is up, but it serves job 2 only: job 1 (whose runner is gone) needs one.
    expect(jobsShortOfRunner(jobs(1, 2), [slot('2')], none, 0, bound)).toEqual(jobs(1));
  });
});
