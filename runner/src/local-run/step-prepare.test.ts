import { describe, expect, it } from '@jest/globals';
import { expressionEngine } from './from-workflow.js';
import { JobContexts } from './job-contexts.js';
import type { JobSpec } from './job-spec.js';
import { dockerStepScript, prepareStep } from './step-prepare.js';

const job: JobSpec = {
  id: 'j',
  name: 'j',
  workflow: 'w',
  services: [],
  env: { WHERE: 'sub' },
  defaults: {},
  steps: [],
};

function contexts(): JobContexts {
  const c = new JobContexts({ job, repository: 'acme/app' }, expressionEngine);
  c.startEnv();
  c.applyFiles({ env: 'ADDED=1\n' });
  return c;
}

describe('prepareStep', () => {
  it('exports added env, pod facts, the action path and the step env, in that order; the script sees the step env', () => {
    const p = prepareStep(
      {
        name: 's',
        run: 'echo ${{ env.MINE }} ${{ env.ADDED }}',
        env: { MINE: '${{ env.WHERE }}!' },
        scope: { id: 'c', inputs: {}, actionPath: 'act' },
      },
      contexts(),
      expressionEngine,
      {},
      '{}',
    );
    expect(p.env).toEqual([
      ['ADDED', '1'],
      ['ECI_VIRTUAL_POD_FACTS', '{}'],
      ['GITHUB_ACTION_PATH', '/__w/app/app/act'],
      ['MINE', 'sub!'],
    ]);
    expect(p.script).toBe('echo sub! 1');
    expect(p.workingDirectory).toBe('/__w/app/app');
  });

  it('resolves working-directory below the workspace (evaluated), takes absolute ones as they are, else the default', () => {
    const c = contexts();
    const wd = (workingDirectory: string | undefined, defaults: JobSpec['defaults'] = {}) =>
      prepareStep(
        { name: 's', run: 'x', ...(workingDirectory ? { workingDirectory } : {}) },
        c,
        expressionEngine,
        defaults,
        undefined,
      ).workingDirectory;
    expect(wd('${{ env.WHERE }}/dir')).toBe('/__w/app/app/sub/dir');
    expect(wd('/abs/${{ env.WHERE }}')).toBe('/abs/${{ env.WHERE }}');
    expect(wd(undefined, { workingDirectory: 'from-defaults' })).toBe('/__w/app/app/from-defaults');
    expect(wd(undefined)).toBe('/__w/app/app');
  });

  it('throws when an expression cannot be evaluated (the step fails before any exec)', () => {
    expect(() =>
      prepareStep({ name: 's', run: '${{ nosuchfunction() }}' }, contexts(), expressionEngine, {}, undefined),
    ).toThrow(/nosuchfunction/i);
  });
});

describe('docker:// step script', () => {
  it('runs with.entrypoint with with.args, or with.args as a command line', () => {
    const up = (t: string) => t.toUpperCase();
    expect(dockerStepScript({ image: 'alpine', entrypoint: 'sh', args: '-c date' }, up)).toBe('exec SH -C DATE');
    expect(dockerStepScript({ image: 'alpine', args: 'echo hi' }, up)).toBe('ECHO HI');
    expect(dockerStepScript({ image: 'alpine' }, up)).toBe('');
  });
});
