import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadLocalAction } from './local-action.js';
import { parseWorkflow, WorkflowError } from './load.js';
import { displayName, expandMatrix } from './matrix.js';

const wf = (jobs: string) => `name: t\non: push\njobs:\n${jobs}`;

describe('parseWorkflow', () => {
  it('reads jobs in needs order with env, defaults, container and services', () => {
    const w = parseWorkflow(
      wf(`  test:
    needs: build
    runs-on: eci-virtual
    steps: [{ run: echo test }]
  build:
    runs-on: eci-virtual
    env: { A: 1 }
    defaults: { run: { shell: bash, working-directory: src } }
    container: { image: debian, env: { B: x } }
    services: { redis: redis:7 }
    steps:
      - id: s1
        run: echo hi
        continue-on-error: true
`),
      'ci.yml',
    );
    expect(w.jobs.map((j) => j.id)).toEqual(['build', 'test']);
    const build = w.jobs[0]!;
    expect(build).toMatchObject({
      env: { A: '1' },
      defaults: { shell: 'bash', workingDirectory: 'src' },
      container: { image: 'debian', env: { B: 'x' } },
    });
    expect(build.services).toEqual({ redis: { image: 'redis:7', env: {} } });
    expect(build.steps[0]).toMatchObject({ id: 's1', run: 'echo hi', continueOnError: true, line: 15 });
  });

  it('reports errors with file:line', () => {
    const err = (text: string) => {
      try {
        parseWorkflow(text, 'ci.yml');
      } catch (e) {
        expect(e).toBeInstanceOf(WorkflowError);
        return (e as Error).message;
      }
      throw new Error('expected an error');
    };
    expect(err('jobs:\n  a: [unclosed')).toMatch(/^ci\.yml:2: invalid YAML: Flow sequence in block collection/);
    expect(err(wf('  a:\n    runs-on: x\n    steps:\n      - run: a\n        uses: b\n'))).toBe(
      'ci.yml:7: a step needs exactly one of run: or uses:',
    );
    expect(err(wf('  a:\n    runs-on: x\n    needs: ghost\n    steps: [{run: a}]\n'))).toMatch(
      /ci\.yml:4: job a needs unknown job "ghost"/,
    );
    expect(
      err(
        wf(
          '  a:\n    runs-on: x\n    needs: b\n    steps: [{run: a}]\n  b:\n    runs-on: x\n    needs: a\n    steps: [{run: b}]\n',
        ),
      ),
    ).toMatch(/needs cycle: a → b → a/);
    expect(
      err(wf('  a:\n    runs-on: x\n    steps:\n      - id: x\n        run: a\n      - id: x\n        run: b\n')),
    ).toMatch(/ci\.yml:9: duplicate step id "x"/);
  });

  it('reads outputs, strategy.fail-fast (default true) and max-parallel, and refuses bad values', () => {
    const w = parseWorkflow(
      wf(`  a:
    runs-on: x
    outputs: { val: '\${{ steps.s.outputs.v }}' }
    strategy: { matrix: { n: [1, 2] }, fail-fast: false, max-parallel: 1 }
    steps: [{ id: s, run: a }]
  b:
    runs-on: x
    steps: [{ run: b }]
`),
      'ci.yml',
    );
    expect(w.warnings).toEqual([]);
    expect(w.jobs[0]).toMatchObject({ outputs: { val: '${{ steps.s.outputs.v }}' }, failFast: false, maxParallel: 1 });
    expect(w.jobs[1]).toMatchObject({ outputs: {}, failFast: true });
    expect(w.jobs[1]?.maxParallel).toBeUndefined();
    expect(() =>
      parseWorkflow(wf('  a:\n    runs-on: x\n    strategy: { max-parallel: 0 }\n    steps: [{run: a}]\n'), 'ci.yml'),
    ).toThrow(/ci\.yml:6: strategy.max-parallel must be a whole number/);
  });

  it('warns about job keys it does not act on', () => {
    const w = parseWorkflow(wf('  a:\n    runs-on: x\n    permissions: read-all\n    steps: [{run: a}]\n'), 'ci.yml');
    expect(w.warnings).toEqual(['ci.yml:6: jobs.a.permissions has no effect in eci-virtual run']);
  });
});

describe('expandMatrix', () => {
  it('follows GitHub: product, exclude, include extending or adding', () => {
    const combos = expandMatrix({
      fruit: ['apple', 'pear'],
      animal: ['cat', 'dog'],
      exclude: [{ fruit: 'pear', animal: 'dog' }],
      include: [
        { color: 'green' },
        { color: 'pink', animal: 'cat' },
        { fruit: 'apple', shape: 'circle' },
        { fruit: 'banana' },
      ],
    });
    expect(combos).toEqual([
      { fruit: 'apple', animal: 'cat', color: 'pink', shape: 'circle' },
      { fruit: 'apple', animal: 'dog', color: 'green', shape: 'circle' },
      { fruit: 'pear', animal: 'cat', color: 'pink' },
      { fruit: 'banana' },
    ]);
    expect(displayName('build', { os: 'linux', node: 20 })).toBe('build (linux, 20)');
    expect(() =>
      expandMatrix({ a: Array.from({ length: 17 }, (_, i) => i), b: Array.from({ length: 17 }, (_, i) => i) }),
    ).toThrow(/more than 256/);
  });
});

describe('loadLocalAction', () => {
  it('reads composite, JavaScript and docker:// actions, and refuses a Dockerfile or an unknown kind', () => {
    const root = mkdtempSync(join(tmpdir(), 'eci-act-'));
    const action = (dir: string, yaml: string) => {
      mkdirSync(join(root, dir));
      writeFileSync(join(root, dir, 'action.yml'), yaml);
    };
    action(
      'a',
      'inputs: { who: { required: true } }\noutputs: { msg: { value: x } }\nruns:\n  using: composite\n  steps:\n    - run: echo hi\n      shell: bash\n',
    );
    expect(loadLocalAction(root, 'a', './a', 'ci.yml:3')).toEqual({
      kind: 'composite',
      inputs: { who: { required: true } },
      outputs: { msg: 'x' },
      steps: [{ run: 'echo hi', shell: 'bash' }],
    });
    action(
      'js',
      'inputs: { n: { default: "1" } }\nruns:\n  using: node20\n  main: dist/index.js\n  post: dist/post.js\n',
    );
    expect(loadLocalAction(root, 'js', './js', 'ci.yml:3')).toEqual({
      kind: 'node',
      using: 'node20',
      main: 'dist/index.js',
      post: 'dist/post.js',
      inputs: { n: { required: false, default: '1' } },
    });
    action(
      'img',
      'runs:\n  using: docker\n  image: docker://alpine:3\n  entrypoint: /bin/echo\n  args: [a, 2]\n  env: { K: v }\n',
    );
    expect(loadLocalAction(root, 'img', './img', 'ci.yml:3')).toMatchObject({
      kind: 'docker',
      image: 'alpine:3',
      entrypoint: '/bin/echo',
      args: ['a', '2'],
      env: { K: 'v' },
    });
    action('df', 'runs:\n  using: docker\n  image: Dockerfile\n');
    expect(() => loadLocalAction(root, 'df', './df', 'ci.yml:3')).toThrow(
      /is a Dockerfile action \(image: Dockerfile\)/,
    );
    action('noep', 'runs:\n  using: docker\n  image: docker://alpine\n');
    expect(() => loadLocalAction(root, 'noep', './noep', 'ci.yml:3')).toThrow(/needs runs.entrypoint/);
    action('old', 'runs:\n  using: node8\n  main: i.js\n');
    expect(() => loadLocalAction(root, 'old', './old', 'ci.yml:3')).toThrow(/'using: node8' is not supported/);
  });
});
