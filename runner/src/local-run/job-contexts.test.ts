import { describe, expect, it } from '@jest/globals';
import { expressionEngine } from './from-workflow.js';
import { JobContexts } from './job-contexts.js';
import type { JobSpec, StepSpec } from './job-spec.js';

const job = (over: Partial<JobSpec> = {}): JobSpec => ({
  id: 'build',
  name: 'build',
  workflow: 'ci',
  services: [],
  env: {},
  defaults: {},
  steps: [],
  ...over,
});

const contextsOf = (over: Partial<JobSpec> = {}, secrets?: Record<string, string>) =>
  new JobContexts(
    { job: job(over), repository: 'acme/app', sha: 'abc', ...(secrets ? { secrets } : {}) },
    expressionEngine,
  );

const env = (c: JobContexts) => (c.get() as { env: Record<string, string> }).env;
const steps = (c: JobContexts, scope?: StepSpec['scope']) =>
  (c.get({}, scope) as { steps: Record<string, unknown> }).steps;

describe('JobContexts', () => {
  it('starts the env from the runner, then workflow/job env, container env and --env, each seeing the earlier ones', () => {
    const c = contextsOf({ env: { A: 'a', B: '${{ env.A }}-b' }, containerEnv: { C: '${{ env.B }}-c', A: 'x' } });
    c.startEnv({ D: '${{ env.C }}-d ${{ github.sha }}' });
    expect(env(c)).toMatchObject({
      GITHUB_WORKSPACE: '/__w/app/app',
      GITHUB_REPOSITORY: 'acme/app',
      GITHUB_SHA: 'abc',
      A: 'x',
      B: 'x-b',
      C: 'x-b-c',
      D: 'x-b-c-d abc',
    });
    expect(c.addedEnv()).toEqual([]);
  });

  it('applies GITHUB_ENV to the env context and the added env, GITHUB_PATH latest first, and returns GITHUB_OUTPUT', () => {
    const c = contextsOf();
    c.startEnv();
    expect(
      c.applyFiles({ env: 'X=1\nY<<EOF\ntwo\nlines\nEOF\n', path: '/opt/a\n/opt/b\n', output: 'out=42\n' }),
    ).toEqual({
      out: '42',
    });
    c.applyFiles({ env: 'X=2\n', path: '/opt/c\n' });
    expect(env(c)).toMatchObject({ X: '2', Y: 'two\nlines' });
    expect(c.addedEnv()).toEqual([
      ['X', '2'],
      ['Y', 'two\nlines'],
    ]);
    expect(c.pathEntries()).toEqual(['/opt/c', '/opt/b', '/opt/a']);
    expect(c.applyFiles({})).toEqual({});
    expect(() => c.applyFiles({ output: 'junk' })).toThrow(/GITHUB_OUTPUT: invalid line/);
  });

  it('records steps by id in the job or in their composite scope, and maps a composite end onto the caller', () => {
    const c = contextsOf();
    const scope = { id: 's1', inputs: { who: '${{ env.WHO }}' }, actionPath: 'actions/greet' };
    c.startEnv({ WHO: 'first' });
    // Inputs are evaluated once, with the caller's contexts, when the scope is first used.
    expect((c.get({}, scope) as { inputs: unknown }).inputs).toEqual({ who: 'first' });
    c.applyFiles({ env: 'WHO=second\n' });
    expect((c.get({}, scope) as { inputs: unknown }).inputs).toEqual({ who: 'first' });
    expect((c.get({}, scope) as { github: { action_path: string } }).github.action_path).toBe(
      '/__w/app/app/actions/greet',
    );

    c.recordStep({ name: 'no id' }, { outputs: {}, outcome: 'success', conclusion: 'success' });
    c.recordStep({ name: 'top', id: 'top' }, { outputs: { a: '1' }, outcome: 'success', conclusion: 'success' });
    c.recordStep({ name: 'in', id: 'in', scope }, { outputs: { v: 'x' }, outcome: 'failure', conclusion: 'success' });
    expect(Object.keys(steps(c))).toEqual(['top']);
    expect(steps(c, scope)).toEqual({ in: { outputs: { v: 'x' }, outcome: 'failure', conclusion: 'success' } });

    c.endComposite({ scope: 's1', outputs: { result: '${{ steps.in.outputs.v }}!' }, callerId: 'greet' });
    expect(steps(c)['greet']).toEqual({ outputs: { result: 'x!' }, outcome: 'success', conclusion: 'success' });
  });

  it('concludes a composite as failed when an inner step failed, skipped when none ran', () => {
    const c = contextsOf();
    const scope = { id: 's2', inputs: {} };
    c.recordStep({ name: 'a', id: 'a', scope }, { outputs: {}, outcome: 'success', conclusion: 'success' });
    c.recordStep({ name: 'b', id: 'b', scope }, { outputs: {}, outcome: 'failure', conclusion: 'failure' });
    c.endComposite({ scope: 's2', outputs: {}, callerId: 'failed' });
    c.endComposite({ scope: 'never-ran', outputs: {}, callerId: 'empty' });
    c.endComposite({ scope: 's2', outputs: {} });
    expect(steps(c)).toEqual({
      failed: { outputs: {}, outcome: 'failure', conclusion: 'failure' },
      empty: { outputs: {}, outcome: 'skipped', conclusion: 'skipped' },
    });
  });

  it('carries job status, matrix, strategy and secrets', () => {
    const c = contextsOf(
      { matrix: { os: 'linux' }, strategy: { 'job-index': 1, 'job-total': 2 } },
      { TOKEN: 's3cret' },
    );
    c.status = 'failure';
    expect(c.get()).toMatchObject({
      job: { status: 'failure' },
      matrix: { os: 'linux' },
      strategy: { 'job-index': 1, 'job-total': 2 },
      secrets: { TOKEN: 's3cret' },
      github: { job: 'build', workflow: 'ci', repository_owner: 'acme' },
    });
  });
});

describe('JobContexts: the run event', () => {
  it('puts the event name, payload and the refs it implies in the github context and the runner env', () => {
    const c = new JobContexts(
      {
        job: job(),
        repository: 'acme/app',
        event: {
          name: 'pull_request',
          payload: { number: 7, pull_request: { title: 'Fix' } },
          sha: 'abc',
          ref: 'refs/pull/7/merge',
          headRef: 'topic',
          baseRef: 'main',
          actor: 'bob',
        },
      },
      expressionEngine,
    );
    c.startEnv();
    const ctx = c.get();
    expect(expressionEngine.interpolate('${{ github.event.pull_request.title }} ${{ github.event_name }}', ctx)).toBe(
      'Fix pull_request',
    );
    expect(ctx.github).toMatchObject({ sha: 'abc', ref: 'refs/pull/7/merge', head_ref: 'topic', actor: 'bob' });
    expect(env(c)).toMatchObject({
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_SHA: 'abc',
      GITHUB_REF: 'refs/pull/7/merge',
      GITHUB_HEAD_REF: 'topic',
      GITHUB_BASE_REF: 'main',
      GITHUB_ACTOR: 'bob',
    });
  });

  it('without an event: workflow_dispatch with an empty payload', () => {
    expect(contextsOf().get().github).toMatchObject({ event_name: 'workflow_dispatch', event: {} });
  });
});
