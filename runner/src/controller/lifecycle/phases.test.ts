import { describe, expect, it } from '@jest/globals';
import { isFinished, JOB_PHASES, mayMove, phaseOfConclusion, phaseOfExitCode, type JobPhase } from './phases.js';

const pairs = JOB_PHASES.flatMap((from) => JOB_PHASES.map((to) => [from, to] as const));
const show = (moves: readonly (readonly [JobPhase, JobPhase])[]) => moves.map(([from, to]) => `${from}→${to}`);
const FINISHED = ['succeeded', 'failed', 'cancelled'] as const;

// Every one of the 36 (from, to) pairs is either in the expected list or refused: the lists are the table.
describe('job phase transitions', () => {
  it('moves forward only, and a phase never follows itself', () => {
    const allowed = pairs.filter(([from, to]) => mayMove({ phase: from }, to));
    expect(show(allowed)).toEqual([
      'queued→pending',
      'queued→running',
      'queued→succeeded',
      'queued→failed',
      'queued→cancelled',
      'pending→running',
      'pending→succeeded',
      'pending→failed',
      'pending→cancelled',
      'running→succeeded',
      'running→failed',
      'running→cancelled',
    ]);
  });

  it("takes the runner's exit code as a finish from any unfinished phase, never after a finish", () => {
    const allowed = pairs.filter(([from, to]) =>
      mayMove({ phase: from, ...(isFinished(from) ? { finishedBy: 'runner' as const } : {}) }, to, 'runner'),
    );
    expect(show(allowed.filter(([, to]) => isFinished(to)))).toEqual([
      'queued→succeeded',
      'queued→failed',
      'queued→cancelled',
      'pending→succeeded',
      'pending→failed',
      'pending→cancelled',
      'running→succeeded',
      'running→failed',
      'running→cancelled',
    ]);
  });

  it("lets GitHub's conclusion settle a finish taken from the runner's exit code, to any finished phase", () => {
    const allowed = pairs.filter(
      ([from, to]) => isFinished(from) && mayMove({ phase: from, finishedBy: 'runner' }, to, 'github'),
    );
    expect(show(allowed)).toEqual(FINISHED.flatMap((from) => FINISHED.map((to) => `${from}→${to}`)));
  });

  it('never moves a job GitHub settled, whoever asks (a duplicate `completed` included)', () => {
    for (const from of FINISHED)
      for (const to of JOB_PHASES) {
        expect(mayMove({ phase: from, finishedBy: 'github' }, to, 'github')).toBe(false);
        expect(mayMove({ phase: from, finishedBy: 'github' }, to, 'runner')).toBe(false);
        expect(mayMove({ phase: from, finishedBy: 'github' }, to)).toBe(false);
      }
  });

  it('refuses a `completed` that would move a job back to an unfinished phase', () => {
    for (const from of FINISHED)
      for (const to of ['queued', 'pending', 'running'] as const)
        expect(mayMove({ phase: from, finishedBy: 'runner' }, to, 'github')).toBe(false);
  });

  it('knows the finished phases', () => {
    expect(JOB_PHASES.filter(isFinished)).toEqual(FINISHED);
  });

  it("maps GitHub's conclusion and the runner's exit code to a finished phase", () => {
    expect(phaseOfConclusion('success')).toBe('succeeded');
    expect(phaseOfConclusion('cancelled')).toBe('cancelled');
    expect(phaseOfConclusion('failure')).toBe('failed');
    expect(phaseOfConclusion('timed_out')).toBe('failed');
    expect(phaseOfConclusion(null)).toBe('failed');
    expect(phaseOfExitCode(0)).toBe('succeeded');
    expect(phaseOfExitCode(2)).toBe('failed');
  });
});
