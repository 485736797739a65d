/**
 * Bad input at the workflow door of `eci-virtual run` (issue #19, runner/docs/bad-input.md): thousands of seeded
 * mutations of valid workflows, and generated YAML values in every position, through parseWorkflow() and the
 * command's real loader loadWorkflowJobs() (matrix expansion, job names evaluated). Each either loads or throws the
 * project's typed error — never a TypeError, a RangeError, or a hang. A failure names its seed and case.
 */
import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { mutate, seeded, typedErrorOf, type Random } from '../../test/fuzz/seeded.js';
import { loadWorkflowJobs } from './from-workflow.js';
import { parseWorkflow, WorkflowError } from '../workflow/load.js';

const SEED = 19_004;
const MUTATED = 1200;
const GENERATED = 800;

const VALID = [
  `name: ci
on: push
env: { A: 1 }
jobs:
  build:
    runs-on: eci-virtual
    name: build \${{ matrix.os }}
    strategy:
      fail-fast: false
      max-parallel: 2
      matrix:
        os: [linux, alpine]
        node: [18, 20]
        include: [{ os: linux, extra: true }]
        exclude: [{ os: alpine, node: 18 }]
    container: { image: node:20, env: { X: y } }
    services: { redis: redis:7 }
    steps:
      - id: one
        run: echo \${{ matrix.node }}
        env: { B: \${{ env.A }} }
        if: \${{ success() && matrix.os == 'linux' }}
      - run: |
          echo multi
          echo line
        shell: bash
        working-directory: src
        continue-on-error: true
        timeout-minutes: 3
  test:
    needs: [build]
    runs-on: [self-hosted, eci-virtual]
    if: always()
    outputs: { v: \${{ steps.one.outputs.v }} }
    steps:
      - uses: docker://alpine:3
        with: { args: echo hi }
`,
  `on: [push]
jobs:
  a:
    runs-on: eci-virtual
    strategy: { matrix: "\${{ fromJSON('{\\"x\\":[1,2]}') }}" }
    steps: [{ run: echo a }]
  b: { runs-on: x, needs: a, steps: [{ run: echo b, name: "\${{ format('{0}', 'n') }}" }] }
`,
];

const NOISE = [
  ':',
  ': ',
  '- ',
  '\n',
  '\n  ',
  '\t',
  '{',
  '}',
  '[',
  ']',
  ',',
  '&a ',
  '*a',
  '!!str ',
  '!!binary ',
  '? ',
  '|',
  '>-',
  '"',
  "'",
  '#',
  '%YAML 1.1\n---\n',
  '---\n',
  '${{',
  '}}',
  '\u0000',
  '\ufeff',
  '<<: *a\n',
  'needs: [build, test]',
  'jobs:',
  'steps:',
  'matrix: { x: [] }',
  '__proto__: {}',
];

/** A random YAML-able value: scalars of every kind, lists, maps, strings with expressions and odd characters. */
function value(r: Random, depth: number): unknown {
  if (depth <= 0 || r.chance(0.4))
    return r.pick<unknown>([
      null,
      true,
      0,
      -1,
      1.5,
      1e300,
      '',
      'x',
      'eci-virtual',
      '${{ matrix.os }}',
      '${{ fromJSON(',
      '${{ github.constructor }}',
      '${{ toJSON(matrix) }}',
      'a'.repeat(2000),
      '\u0000\u202e',
      '__proto__',
    ]);
  if (r.chance(0.5)) return Array.from({ length: r.int(4) }, () => value(r, depth - 1));
  return Object.fromEntries(
    Array.from({ length: r.int(4) }, () => [
      r.pick(['run', 'uses', 'image', 'env', 'matrix', 'include', 'exclude', 'id', 'if', 'steps', 'x', '__proto__']),
      value(r, depth - 1),
    ]),
  );
}

const JOB_FIELDS = [
  'name',
  'needs',
  'runs-on',
  'env',
  'defaults',
  'if',
  'timeout-minutes',
  'container',
  'services',
  'strategy',
  'steps',
  'continue-on-error',
  'outputs',
];

function generatedWorkflow(r: Random): string {
  const job: Record<string, unknown> = { 'runs-on': 'eci-virtual', steps: [{ run: 'echo hi' }] };
  for (let n = 1 + r.int(3); n > 0; n--) job[r.pick(JOB_FIELDS)] = value(r, 3);
  if (r.chance(0.3)) job.strategy = { matrix: value(r, 3), 'fail-fast': value(r, 1), 'max-parallel': value(r, 1) };
  if (r.chance(0.3)) job.steps = [value(r, 2), { run: 'x', ...(value(r, 1) as object) }];
  return stringify({ on: 'push', env: r.chance(0.2) ? value(r, 2) : {}, jobs: { build: job } });
}

describe('workflows under bad input', () => {
  it(`${MUTATED} mutated and ${GENERATED} generated workflows load or give a typed error`, () => {
    const r = seeded(SEED);
    const dir = mkdtempSync(join(tmpdir(), 'wf-fuzz-'));
    const file = join(dir, 'ci.yml');
    let refused = 0;
    try {
      for (let i = 0; i < MUTATED + GENERATED; i++) {
        let text: string;
        if (i < MUTATED) {
          text = r.pick(VALID);
          for (let m = 1 + r.int(2); m > 0; m--) text = mutate(r, text, NOISE);
        } else text = generatedWorkflow(r);
        const what = `seed ${SEED} case ${i}:\n${text}`;
        const caseStart = Date.now();
        if (typedErrorOf(() => parseWorkflow(text, 'ci.yml'), `parseWorkflow, ${what}`)) refused++;
        else {
          // What parses goes on through the command's loader: matrix expansion, names evaluated.
          writeFileSync(file, text);
          typedErrorOf(() => loadWorkflowJobs(file, { workspaceRoot: dir }), `loadWorkflowJobs, ${what}`);
        }
        // No case may hang: each is far under a second even on a loaded machine.
        expect(Date.now() - caseStart).toBeLessThan(5000);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(refused).toBeGreaterThan((MUTATED + GENERATED) / 10);
    expect(refused).toBeLessThan(MUTATED + GENERATED - (MUTATED + GENERATED) / 10);
  }, 120_000);

  it('refuses resource-exhaustion YAML with a typed error naming the file', () => {
    const bomb = [
      'a: &a ["x","x","x","x","x","x","x","x","x"]',
      ...Array.from({ length: 9 }, (_, i) => {
        const prev = i === 0 ? 'a' : `l${i - 1}`;
        return `l${i}: &l${i} [*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev}]`;
      }),
      'jobs: { build: { runs-on: x, steps: [{ run: echo }], env: { A: *l8 } } }',
    ].join('\n');
    const deep = `jobs: ${'['.repeat(20_000)}${']'.repeat(20_000)}`;
    for (const text of [bomb, deep]) {
      expect(() => parseWorkflow(text, 'ci.yml')).toThrow(WorkflowError);
      expect(() => parseWorkflow(text, 'ci.yml')).toThrow(/^ci\.yml:\d+: /);
    }
  });
});
