import { describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { interpolate } from './expr/evaluate.js';
import {
  actionDirectory,
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

  it('maps to <cache>/<owner>/<repo>@<ref>[/path], and says how to vendor one that is missing', () => {
    const root = mkdtempSync(join(tmpdir(), 'eci-cache-'));
    mkdirSync(join(root, 'vendor', 'o', 'r@v1', 'sub'), { recursive: true });
    expect(actionDirectory('./x/../y', root, undefined, 'ci.yml:4')).toBe('y');
    expect(actionDirectory('o/r@v1', root, 'vendor', 'ci.yml:4')).toBe('vendor/o/r@v1');
    expect(actionDirectory('o/r/sub@v1', root, 'vendor', 'ci.yml:4')).toBe('vendor/o/r@v1/sub');
    expect(() => actionDirectory('actions/setup-node@v4', root, undefined, 'ci.yml:4')).toThrow(
      'ci.yml:4: uses: actions/setup-node@v4 — .github/eci-actions/actions/setup-node@v4 is not in the working tree',
    );
    try {
      actionDirectory('o/r@v2', root, 'vendor', 'ci.yml:4');
      throw new Error('expected a refusal');
    } catch (err) {
      expect(err).toBeInstanceOf(RemoteActionMissing);
      expect((err as RemoteActionMissing).action).toEqual({ owner: 'o', repo: 'r', ref: 'v2', dir: 'vendor/o/r@v2' });
      expect((err as Error).message).toContain('vendor/o/r@v2 is not in the action cache vendor');
      expect((err as { hint?: string }).hint).toContain(
        '`git clone --depth 1 --branch v2 https://github.com/o/r vendor/o/r@v2`, then pass --action-cache vendor',
      );
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
