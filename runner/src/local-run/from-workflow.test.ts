import { describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadWorkflowJobs, shortRun } from './from-workflow.js';

describe('default step names', () => {
  it('cut long first lines at 60 characters', () => {
    expect(shortRun(`echo ${'x'.repeat(100)}\nsecond`)).toBe(`echo ${'x'.repeat(55)}`);
    expect(shortRun('make test\nmake lint')).toBe('make test');
  });

  it('never cut inside an expression, which would make the name unevaluable', () => {
    const line = 'echo "digest=${{ steps.img.outputs.digest }} hits=${{ steps.img.outputs.cache-hits }}"';
    const name = shortRun(line);
    expect(name).toBe('echo "digest=${{ steps.img.outputs.digest }} hits=${{ steps.img.outputs.cache-hits }}');
    expect(shortRun('echo ${{ unterminated')).toBe('echo ');
  });
});

describe('actions from the working tree', () => {
  const root = mkdtempSync(join(tmpdir(), 'eci-actions-'));
  const file = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  file(
    'js/action.yml',
    'inputs: { who: { default: world } }\nruns: { using: node20, main: index.js, post: post.js }\n',
  );
  file('js/index.js', '');
  file(
    'vendor/o/img@v1/action.yml',
    "inputs: { msg: {} }\nruns:\n  using: docker\n  image: docker://alpine:3\n  entrypoint: /bin/echo\n  args: ['${{ inputs.msg }}!', two]\n  env: { E: 'e-${{ inputs.msg }}' }\n",
  );
  file(
    'ci.yml',
    'on: push\njobs:\n  j:\n    runs-on: x\n    steps:\n      - id: js\n        uses: ./js\n        env: { A: a }\n      - uses: o/img@v1\n        with: { msg: "${{ steps.js.outputs.v }}" }\n',
  );

  const remote = (a: { owner: string; repo: string; ref: string }) =>
    a.ref === 'v1' ? { key: `${a.owner}/${a.repo}@v1`, dir: join(root, 'vendor', a.owner, `${a.repo}@v1`) } : undefined;

  it('runs a JavaScript action with node and INPUT_*, a docker:// action in a step container', () => {
    const loaded = loadWorkflowJobs(join(root, 'ci.yml'), { workspaceRoot: root, remote });
    const [js, img] = loaded.jobs[0]!.spec.steps;
    expect(js).toMatchObject({
      id: 'js',
      shell: 'sh',
      env: { A: 'a', INPUT_WHO: 'world', GITHUB_ACTION_PATH: '${{ github.workspace }}/js' },
      state: 'j-0',
      // post-if defaults to always() (ActionManifestManager.cs CleanupCondition).
      post: { name: 'Post Run ./js', if: 'always()', state: 'j-0' },
    });
    expect(js!.run).toContain(`exec "$ECI_NODE" "$GITHUB_ACTION_PATH"/'index.js'`);
    expect(js!.post!.run).toContain(`exec "$ECI_NODE" "$GITHUB_ACTION_PATH"/'post.js'`);
    expect(js!.post!.id).toBeUndefined();
    expect(img).toMatchObject({
      container: { image: 'alpine:3', entrypoint: "'/bin/echo'", args: '"$ECI_ACTION_ARG_0" "$ECI_ACTION_ARG_1"' },
      env: {
        INPUT_MSG: '${{ steps.js.outputs.v }}',
        ECI_ACTION_ARG_0: '${{ (steps.js.outputs.v) }}!',
        ECI_ACTION_ARG_1: 'two',
        E: 'e-${{ (steps.js.outputs.v) }}',
        GITHUB_ACTION_PATH: '/__w/_actions/o/img@v1',
      },
    });
    expect(loaded.jobs[0]!.spec.actions).toEqual([{ key: 'o/img@v1', dir: join(root, 'vendor/o/img@v1') }]);
    expect(() => loadWorkflowJobs(join(root, 'ci.yml'), { workspaceRoot: root })).toThrow(
      /ci\.yml:9: uses: o\/img@v1 is not resolved yet/,
    );
  });

  it('nests composite actions (remote JavaScript with pre/post inside), each with its own inputs scope', () => {
    file(
      'vendor/o/jsr@v1/action.yml',
      'inputs: { who: {} }\nruns: { using: node24, main: m.js, pre: p.js, post: q.js, post-if: success() }\n',
    );
    file(
      'vendor/o/inner@v1/action.yml',
      'inputs: { x: {} }\noutputs: { o: { value: "${{ steps.s.outputs.v }}" } }\nruns:\n  using: composite\n  steps:\n    - id: s\n      uses: o/jsr@v1\n      with: { who: "${{ inputs.x }}" }\n',
    );
    file(
      'outer/action.yml',
      'outputs: { o: { value: "${{ steps.in.outputs.o }}" } }\nruns:\n  using: composite\n  steps:\n    - run: echo hi\n      shell: sh\n    - id: in\n      uses: o/inner@v1\n      with: { x: deep }\n',
    );
    file('nest.yml', 'on: push\njobs:\n  j:\n    runs-on: x\n    steps:\n      - id: top\n        uses: ./outer\n');
    const steps = loadWorkflowJobs(join(root, 'nest.yml'), { workspaceRoot: root, remote }).jobs[0]!.spec.steps;
    expect(steps.map((s) => (s.compositeEnd ? `end ${s.compositeEnd.scope}` : s.name))).toEqual([
      'Run ./outer › step 1',
      'Run ./outer › in',
      'end j-0.1',
      'end j-0',
    ]);
    const outerScope = { id: 'j-0', inputs: {}, actionPath: 'outer' };
    const innerScope = {
      id: 'j-0.1',
      inputs: { x: 'deep' },
      actionPath: '/__w/_actions/o/inner@v1',
      parent: outerScope,
    };
    expect(steps[1]).toMatchObject({
      id: 's',
      scope: innerScope,
      env: { INPUT_WHO: '${{ inputs.x }}', GITHUB_ACTION_PATH: '/__w/_actions/o/jsr@v1' },
      pre: { name: 'Pre Run ./outer › in', if: 'always()', state: 'j-0.1.0' },
      post: { name: 'Post Run ./outer › in', if: 'success()', state: 'j-0.1.0' },
    });
    expect(steps[2]!.compositeEnd).toEqual({
      scope: 'j-0.1',
      outputs: { o: '${{ steps.s.outputs.v }}' },
      callerId: 'in',
      parent: outerScope,
    });
    expect(steps[3]!.compositeEnd).toEqual({
      scope: 'j-0',
      outputs: { o: '${{ steps.in.outputs.o }}' },
      callerId: 'top',
    });
  });

  it("warns that a local action's pre is not run, as the runner does", () => {
    file('lp/action.yml', 'runs: { using: node20, main: index.js, pre: p.js }\n');
    file('lp/index.js', '');
    file('lp.yml', 'on: push\njobs:\n  j:\n    runs-on: x\n    steps:\n      - uses: ./lp\n');
    const loaded = loadWorkflowJobs(join(root, 'lp.yml'), { workspaceRoot: root });
    expect(loaded.warnings).toEqual([
      expect.stringMatching(/lp\.yml:6: `pre` execution is not supported for local action '\.\/lp'$/),
    ]);
    expect(loaded.jobs[0]!.spec.steps[0]!.pre).toBeUndefined();
  });
});
