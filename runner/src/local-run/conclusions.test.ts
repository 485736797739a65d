import { describe, expect, it } from '@jest/globals';
import {
  conclude,
  continuesOnError,
  jobResult,
  jobStatusAfter,
  jobNotRun,
  jobOutputs,
  skippedStep,
  stepGate,
  stepResult,
  type StepEnd,
} from './conclusions.js';
import { expressionEngine } from './from-workflow.js';

const ctx = { steps: { build: { outcome: 'failure', conclusion: 'success', outputs: { v: '1' } } }, env: {} };
const mask = (text: string) => text.replaceAll('s3cret', '***');

describe('step if:', () => {
  it('defaults to success(): a step after a failure is skipped, failure() and always() run', () => {
    expect(stepGate(expressionEngine, undefined, ctx, 'success')).toBe('run');
    expect(stepGate(expressionEngine, undefined, ctx, 'failure')).toBe('skip');
    expect(stepGate(expressionEngine, 'failure()', ctx, 'failure')).toBe('run');
    expect(stepGate(expressionEngine, 'always()', ctx, 'cancelled')).toBe('run');
    expect(stepGate(expressionEngine, 'success()', ctx, 'cancelled')).toBe('skip');
  });
  it('reads step outcomes and outputs; an expression that cannot be evaluated fails the step', () => {
    expect(stepGate(expressionEngine, "steps.build.outcome == 'failure'", ctx, 'success')).toBe('run');
    expect(stepGate(expressionEngine, "steps.build.outputs.v == '2'", ctx, 'success')).toBe('skip');
    const gate = stepGate(expressionEngine, 'nosuchfunction(1)', ctx, 'success');
    expect(gate).toEqual({ failed: expect.stringMatching(/nosuchfunction/i) });
  });
});

describe('continue-on-error', () => {
  it('takes booleans as they are and evaluates only expressions, as a value (true in any case)', () => {
    const never = () => {
      throw new Error('must not evaluate');
    };
    expect(continuesOnError({ name: 's', continueOnError: true }, never)).toBe(true);
    expect(continuesOnError({ name: 's', continueOnError: false }, never)).toBe(false);
    expect(continuesOnError({ name: 's' }, never)).toBe(false);
    const evaluated = (value: string) => () => value;
    expect(continuesOnError({ name: 's', continueOnError: '${{ x }}' }, evaluated(' TRUE '))).toBe(true);
    expect(continuesOnError({ name: 's', continueOnError: '${{ x }}' }, evaluated('false'))).toBe(false);
    expect(continuesOnError({ name: 's', continueOnError: '${{ x }}' }, evaluated('yes'))).toBe(false);
  });
  it('turns a failure into a success conclusion, and nothing else', () => {
    expect(conclude('failure', true)).toBe('success');
    expect(conclude('failure', false)).toBe('failure');
    expect(conclude('cancelled', true)).toBe('cancelled');
    expect(conclude('success', false)).toBe('success');
    expect(conclude('skipped', true)).toBe('skipped');
  });
  it('fails a succeeding job on a failed conclusion only; cancelled stays cancelled', () => {
    expect(jobStatusAfter('success', 'failure')).toBe('failure');
    expect(jobStatusAfter('success', 'success')).toBe('success');
    expect(jobStatusAfter('success', 'cancelled')).toBe('success');
    expect(jobStatusAfter('cancelled', 'failure')).toBe('cancelled');
    expect(jobStatusAfter('failure', 'success')).toBe('failure');
  });
});

describe('results', () => {
  const end: StepEnd = {
    index: 2,
    step: { name: 'deploy' },
    name: 'deploy',
    started: 1_000,
    outcome: 'failure',
    exitCode: 3,
    outputs: { url: 'x' },
    error: 'exit code 3 with s3cret',
    execs: 1,
    summary: '# s3cret summary',
  };

  it('builds a step result from one StepEnd: masked error and summary, duration, fields in report order', () => {
    const r = stepResult(end, 'success', 1_250, mask);
    expect(r).toEqual({
      index: 2,
      name: 'deploy',
      outcome: 'failure',
      conclusion: 'success',
      exitCode: 3,
      durationMs: 250,
      outputs: { url: 'x' },
      summary: '# *** summary',
      error: 'exit code 3 with ***',
      execs: 1,
    });
    expect(Object.keys(r)).toEqual([
      'index',
      'name',
      'outcome',
      'conclusion',
      'exitCode',
      'durationMs',
      'outputs',
      'summary',
      'error',
      'execs',
    ]);
  });
  it('leaves out what a step did not have, but keeps exit code 0', () => {
    const bare = { index: 0, step: { name: 'a' }, name: 'a', started: 5, outcome: 'success', outputs: {}, execs: 0 };
    expect(stepResult({ ...bare, outcome: 'success' }, 'success', 5, mask)).toEqual({
      index: 0,
      name: 'a',
      outcome: 'success',
      conclusion: 'success',
      durationMs: 0,
      outputs: {},
      execs: 0,
    });
    expect(stepResult({ ...bare, outcome: 'success', exitCode: 0, summary: '' }, 'success', 6, mask)).toMatchObject({
      exitCode: 0,
      durationMs: 1,
    });
    expect(skippedStep(4, 'later')).toEqual({
      index: 4,
      name: 'later',
      outcome: 'skipped',
      conclusion: 'skipped',
      durationMs: 0,
      outputs: {},
      execs: 0,
    });
  });
  it('builds a job result from one JobEnd, masking the error and leaving out an unknown node', () => {
    const base = {
      job: { id: 'build', name: 'build (linux)' },
      pod: 'eci-build-1',
      steps: [],
      timings: { totalMs: 9 },
    };
    expect(jobResult({ ...base, status: 'failure', error: 'token s3cret refused' }, mask)).toEqual({
      job: 'build',
      name: 'build (linux)',
      conclusion: 'failure',
      pod: 'eci-build-1',
      steps: [],
      timings: { totalMs: 9 },
      error: 'token *** refused',
    });
    expect(jobResult({ ...base, status: 'success', node: 'eci-virtual' }, mask)).toEqual({
      job: 'build',
      name: 'build (linux)',
      conclusion: 'success',
      pod: 'eci-build-1',
      node: 'eci-virtual',
      steps: [],
      timings: { totalMs: 9 },
    });
    expect(jobNotRun(base.job, 'skipped', 'its if: is false')).toEqual({
      job: 'build',
      name: 'build (linux)',
      conclusion: 'skipped',
      pod: '',
      steps: [],
      timings: { totalMs: 0 },
      error: 'its if: is false',
    });
  });
});

describe('job outputs', () => {
  it('evaluates each output; drops one that carries a secret or fails, with a warning', () => {
    const warnings: string[] = [];
    const outputs = jobOutputs(
      { val: 'v:${{ x }}', leak: 'token', bad: 'boom', empty: '' },
      (expr) => {
        if (expr === 'boom') throw new Error('no such function');
        return expr.replace('${{ x }}', '42');
      },
      (text) => text.replaceAll('token', '***'),
      (m) => warnings.push(m),
    );
    expect(outputs).toEqual({ val: 'v:42', empty: '' });
    expect(warnings).toEqual(['output leak is dropped: it may contain a secret', 'output bad: no such function']);
  });
});
