import { describe, expect, it } from '@jest/globals';
import { condition, evaluate, interpolate, type EvalState } from './evaluate.js';

const state = (status: EvalState['status'] = 'success'): EvalState => ({
  status,
  contexts: {
    github: { event: { commits: [{ message: 'a' }, { message: 'b' }] }, ref: 'refs/heads/main' },
    matrix: { os: 'linux', node: 20 },
    steps: { build: { outputs: { version: '1.2' }, outcome: 'success' } },
    env: { NAME: 'World' },
  },
});
const ev = (e: string) => evaluate(e, state());

describe('expressions', () => {
  it('follows GitHub literal and comparison rules', () => {
    expect(ev("'abc' == 'ABC'")).toBe(true);
    expect(ev('null == 0')).toBe(true);
    expect(ev("'3' == 3")).toBe(true);
    expect(ev("'' == false")).toBe(true);
    expect(ev('0x10 == 16')).toBe(true);
    expect(ev('1e2 > 99')).toBe(true);
    expect(ev("'it''s'")).toBe("it's");
    expect(ev("matrix.os != 'windows' && matrix.node >= 18")).toBe(true);
    expect(ev('github.missing.deep == null')).toBe(true);
  });
  it('returns operands from && and ||, and supports indexing and object filters', () => {
    expect(ev("matrix.missing || 'fallback'")).toBe('fallback');
    expect(ev("matrix.os && 'yes'")).toBe('yes');
    expect(ev("matrix['os']")).toBe('linux');
    expect(ev('github.event.commits.*.message')).toEqual(['a', 'b']);
    expect(ev("contains(github.event.commits.*.message, 'b')")).toBe(true);
  });
  it('implements the documented functions', () => {
    expect(ev('contains(fromJSON(\'["a","b"]\'), \'a\')')).toBe(true);
    expect(ev("format('{0} {{1}} {1}', 'x', 'y')")).toBe('x {1} y');
    expect(ev("startsWith(github.ref, 'refs/heads/')")).toBe(true);
    expect(ev("endsWith('Hello', 'LO')")).toBe(true);
    expect(ev("join(fromJSON('[1,2]'), '-')")).toBe('1-2');
    expect(ev('toJSON(matrix.node)')).toBe('20');
  });
  it('interpolates ${{ }} in text and reports syntax errors with the column', () => {
    expect(interpolate('Hello ${{ env.NAME }} v${{ steps.build.outputs.version }}${{ null }}!', state())).toBe(
      'Hello World v1.2!',
    );
    expect(interpolate("${{ format('{0}}}', 'x') }}", state())).toBe('x}');
    expect(() => ev('matrix.os ==')).toThrow(/unexpected end of expression at column 13/);
    expect(() => ev("contains('a'")).toThrow(/expected '\)'/);
    expect(() => ev('nope.x')).toThrow(/unknown context "nope"/);
  });
  it('adds an implicit success() to if: unless a status function is called', () => {
    expect(condition(undefined, state())).toBe(true);
    expect(condition(undefined, state('failure'))).toBe(false);
    expect(condition("matrix.os == 'linux'", state('failure'))).toBe(false);
    expect(condition('failure()', state('failure'))).toBe(true);
    expect(condition('${{ always() }}', state('cancelled'))).toBe(true);
    expect(condition("${{ success() && matrix.os == 'mac' }}", state())).toBe(false);
  });

  it('a job whose need was skipped: neither success() nor failure(), always() still runs', () => {
    expect(condition(undefined, state('skipped'))).toBe(false);
    expect(condition('failure()', state('skipped'))).toBe(false);
    expect(condition('always()', state('skipped'))).toBe(true);
  });
});
