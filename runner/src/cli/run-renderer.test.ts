import { describe, expect, it } from '@jest/globals';
import type { JobResult } from '../local-run/reporter.js';
import { exitCode } from './run-command.js';
import { HumanRunRenderer, JsonRunRenderer } from './run-renderer.js';

const result = (name: string, conclusion: JobResult['conclusion'], extra: Partial<JobResult> = {}): JobResult => ({
  job: name.split(' ')[0]!,
  name,
  conclusion,
  pod: 'p',
  steps: [],
  timings: { totalMs: 1200 },
  ...extra,
});

describe('run renderers', () => {
  it('prefixes every line of a job with its name when several jobs run, and lists every job at the end', () => {
    let out = '';
    const r = new HumanRunRenderer((s) => (out += s), false);
    const a = r.forJob({ id: 'build', name: 'build (1)' }, true);
    const b = r.forJob({ id: 'test', name: 'test' }, true);
    a.stepStarted(0, 'compile');
    b.stepLine(0, 'hello');
    a.stepLine(0, 'world');
    b.jobFinished(result('test', 'skipped', { pod: '', error: 'needs build (failure)' }));
    r.finished([result('build (1)', 'failure', { error: 'boom' }), result('test', 'skipped', { pod: '' })], 1);
    const lines = out.split('\n');
    expect(lines.slice(0, 4)).toEqual([
      '[build (1)] ▶ compile',
      '[test]   hello',
      '[build (1)]   world',
      '[test] test ○ skipped: needs build (failure)',
    ]);
    expect(out).toMatch(
      /\njobs\n {2}build \(1\) {2}✗ failure {5}1\.20s {2}boom\n {2}test {7}○ skipped\nexit code 1\n$/,
    );
  });

  it('a single job has no prefix', () => {
    let out = '';
    new HumanRunRenderer((s) => (out += s), false).forJob({ id: 'a', name: 'a' }, false).stepLine(0, 'x');
    expect(out).toBe('  x\n');
  });

  it('JSON events carry the job id and name', () => {
    const events: Record<string, unknown>[] = [];
    const r = new JsonRunRenderer((s) => events.push(JSON.parse(s) as Record<string, unknown>));
    r.forJob({ id: 'build', name: 'build (1)' }, true).stepLine(2, 'hi');
    r.finished([result('build (1)', 'success')], 0);
    expect(events[0]).toMatchObject({ event: 'step.output', job: 'build', jobName: 'build (1)', index: 2, line: 'hi' });
    expect(events[1]).toMatchObject({
      event: 'run.finished',
      code: 0,
      jobs: [{ job: 'build', conclusion: 'success' }],
    });
  });

  it('exit code: 0 for success or skipped, 1 for any failure or fail-fast cancellation, 130 when interrupted', () => {
    expect(exitCode([result('a', 'success'), result('b', 'skipped')], false)).toBe(0);
    expect(exitCode([result('a', 'success'), result('b', 'failure')], false)).toBe(1);
    expect(exitCode([result('a', 'cancelled')], false)).toBe(1);
    expect(exitCode([result('a', 'cancelled')], true)).toBe(130);
  });
});
