/**
 * Bad input at the expression door (issue #19, runner/docs/bad-input.md): thousands of seeded generated and mutated
 * expressions through evaluate(), interpolate() and condition(). Each one either gives a value or throws the
 * project's typed error (EciVirtualError, here ExpressionError) — never a TypeError, a RangeError from a blown stack,
 * or a hang. A failure names its seed and case so it can be replayed.
 */
import { describe, expect, it } from '@jest/globals';
import { mutate, seeded, typedErrorOf, type Random } from '../../test/fuzz/seeded.js';
import { condition, EXPRESSION_HOST, evaluate, interpolate, type EvalState } from '../workflow/expr/evaluate.js';
import { ExpressionError } from '../workflow/expr/errors.js';

const SEED = 19_003;
const CASES = 6000;

const state = (): EvalState => ({
  status: 'success',
  contexts: {
    github: { event: { commits: [{ message: 'a' }, { message: 'b' }] }, ref: 'refs/heads/main', run_id: 7 },
    matrix: { os: 'linux', node: 20, list: [1, 'two', null, { x: true }] },
    steps: { build: { outputs: { version: '1.2' }, outcome: 'success' } },
    env: { NAME: 'World', EMPTY: '' },
    needs: {},
    [EXPRESSION_HOST]: { hashFiles: () => 'f'.repeat(64) },
  },
});

const ATOMS = [
  'true',
  'false',
  'null',
  '0',
  '-1',
  '1.5',
  '1e308',
  '-0x1F',
  '.5',
  "'it''s'",
  "''",
  "'}}'",
  'github',
  'github.event.commits.*.message',
  "matrix['os']",
  'matrix.list[1]',
  'matrix.list[*]',
  'steps.build.outputs.version',
  'env.NAME',
  'github.__proto__',
  'github.constructor',
  "env['constructor']",
  'matrix.toString',
  'unknownctx',
];
const FUNCS = [
  'success',
  'failure',
  'always',
  'cancelled',
  'contains',
  'startsWith',
  'endsWith',
  'format',
  'join',
  'toJSON',
  'fromJSON',
  'hashFiles',
  'nope',
];
const OPS = ['==', '!=', '<', '<=', '>', '>=', '&&', '||'];
const NOISE = ['(', ')', '[', ']', '.', ',', '*', '!', "'", '{', '}', '$', '${{', '}}', '\u0000', '\t', '\n', 'é', '-'];

function expression(r: Random, depth: number): string {
  if (depth <= 0 || r.chance(0.3)) return r.pick(ATOMS);
  switch (r.int(6)) {
    case 0:
      return `${expression(r, depth - 1)} ${r.pick(OPS)} ${expression(r, depth - 1)}`;
    case 1:
      return `!${expression(r, depth - 1)}`;
    case 2:
      return `(${expression(r, depth - 1)})`;
    case 3: {
      const args = Array.from({ length: r.int(4) }, () => expression(r, depth - 1));
      return `${r.pick(FUNCS)}(${args.join(', ')})`;
    }
    case 4:
      return `${expression(r, depth - 1)}[${expression(r, depth - 1)}]`;
    default:
      return `fromJSON('${JSON.stringify(r.pick([{ a: [1, { b: null }] }, [], 'x', 3])).replace(/'/g, "''")}')`;
  }
}

describe('expressions under bad input', () => {
  it(`${CASES} generated and mutated expressions give a value or a typed error`, () => {
    const r = seeded(SEED);
    let typed = 0;
    for (let i = 0; i < CASES; i++) {
      let src = expression(r, 1 + r.int(5));
      for (let m = r.int(4); m > 0; m--) src = mutate(r, src, NOISE);
      const what = `seed ${SEED} case ${i}: ${JSON.stringify(src)}`;
      const caseStart = Date.now();
      if (typedErrorOf(() => evaluate(src, state()), `evaluate, ${what}`)) typed++;
      typedErrorOf(() => interpolate(`a \${{ ${src} }} b`, state()), `interpolate, ${what}`);
      typedErrorOf(() => condition(src, state()), `condition, ${what}`);
      // No case may hang: each is far under a second even on a loaded machine.
      expect(Date.now() - caseStart).toBeLessThan(5000);
    }
    // The generator reaches both outcomes, or it tests nothing.
    expect(typed).toBeGreaterThan(CASES / 10);
    expect(typed).toBeLessThan(CASES - CASES / 10);
  }, 120_000);

  it('refuses deep nesting with a typed error instead of overflowing the stack', () => {
    for (const src of [
      '('.repeat(50_000) + '1' + ')'.repeat(50_000),
      '!'.repeat(50_000) + 'true',
      'github' + '[github'.repeat(50_000) + ']'.repeat(50_000),
      'format('.repeat(20_000) + "'x'" + ')'.repeat(20_000),
    ]) {
      expect(() => evaluate(src, state())).toThrow(ExpressionError);
      expect(() => condition(src, state())).toThrow(ExpressionError);
    }
  });

  it('does not reach JavaScript internals through property names', () => {
    // GitHub contexts are plain data: a name that is not a key of the object is null (GitHub's "property access
    // that yields null"), including the names every JavaScript object inherits.
    const s = state();
    for (const src of ['github.constructor', 'github.__proto__', "env['toString']", 'matrix.hasOwnProperty'])
      expect(evaluate(src, s)).toBeNull();
    expect(interpolate('[${{ github.constructor }}]', s)).toBe('[]');
    expect(evaluate('toJSON(github.constructor)', s)).toBe('null');
  });
});
