import { describe, expect, it } from '@jest/globals';
import { interpolate } from './expr/evaluate.js';
import {
  actionLocation,
  RemoteActionMissing,
  inputEnvName,
  parseRemoteUses,
  templateExpression,
  withInputsInlined,
} from './local-action.js';

const evalText = (text: string, contexts: Record<string, unknown>) =>
  interpolate(text, { contexts, status: 'success' });

describe('remote action references', () => {
  it('splits owner/repo[/path]@ref', () => {
    expect(parseRemoteUses('actions/setup-node@v4')).toEqual({
      owner: 'actions',
      repo: 'setup-node',
      path: '',
      ref: 'v4',
    });
    expect(parseRemoteUses('o/r/sub/dir@main')).toEqual({ owner: 'o', repo: 'r', path: 'sub/dir', ref: 'main' });
    expect(parseRemoteUses('./local')).toBeUndefined();
    expect(parseRemoteUses('docker://alpine')).toBeUndefined();
  });

  it("places ./path in the workspace and owner/repo[/path]@ref below the pod's _actions by commit; an unknown one is missing", () => {
    const lookup = (a: { owner: string; repo: string; ref: string }) =>
      a.ref === 'v1' ? { key: `${a.owner}/${a.repo}@abc`, dir: `/cache/${a.owner}/${a.repo}@abc` } : undefined;
    expect(actionLocation('./x/../y', lookup, 'ci.yml:4')).toEqual({ local: 'y', pod: 'y' });
    expect(actionLocation('o/r/sub@v1', lookup, 'ci.yml:4')).toEqual({
      local: '/cache/o/r@abc/sub',
      pod: '/__w/_actions/o/r@abc/sub',
      remote: { key: 'o/r@abc', dir: '/cache/o/r@abc' },
    });
    expect(() => actionLocation('o/r/../../x@v1', lookup, 'ci.yml:4')).toThrow('the path leaves the repository');
    try {
      actionLocation('o/r@v2', lookup, 'ci.yml:4');
      throw new Error('expected a refusal');
    } catch (err) {
      expect(err).toBeInstanceOf(RemoteActionMissing);
      expect((err as RemoteActionMissing).action).toEqual({ owner: 'o', repo: 'r', path: '', ref: 'v2' });
    }
  });
});

describe('action inputs', () => {
  it('names their variables as the runner does', () => {
    expect(inputEnvName('node-version')).toBe('INPUT_NODE-VERSION');
    expect(inputEnvName('my input')).toBe('INPUT_MY_INPUT');
  });

  it('turns a template into one expression of the same value', () => {
    const ctx = { steps: { s: { outputs: { v: "it's" } } } };
    for (const t of ['plain', "quo'te {x}", '${{ steps.s.outputs.v }}', 'a-${{ steps.s.outputs.v }}-{b}-${{ 1 }}', ''])
      expect(evalText(`\${{ ${templateExpression(t)} }}`, ctx)).toBe(evalText(t, ctx));
  });

  it("evaluates action.yml strings' inputs.* as the caller's with: values", () => {
    const inputs = { who: '${{ steps.s.outputs.v }}', 'dash-ed': 'lit', Greeting: 'hi ${{ steps.s.outputs.v }}' };
    const text = withInputsInlined(
      "${{ inputs.who }} ${{ inputs['dash-ed'] }} ${{ inputs.greeting }} ${{ inputs.missing }}|",
      inputs,
    );
    expect(evalText(text, { steps: { s: { outputs: { v: 'Ada' } } } })).toBe('Ada lit hi Ada |');
  });
});
