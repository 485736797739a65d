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

  it('runs a JavaScript action with node and INPUT_*, a docker:// action in a step container', () => {
    const loaded = loadWorkflowJobs(join(root, 'ci.yml'), { workspaceRoot: root, actionCache: 'vendor' });
    const [js, img] = loaded.jobs[0]!.spec.steps;
    expect(js).toMatchObject({
      id: 'js',
      shell: 'sh',
      env: { A: 'a', INPUT_WHO: 'world', GITHUB_ACTION_PATH: '${{ github.workspace }}/js' },
    });
    expect(js!.run).toContain(`exec node "$GITHUB_ACTION_PATH"/'index.js'`);
    expect(loaded.warnings.join('\n')).toMatch(/ci\.yml:6: \.\/js: its pre\/post scripts \(post\.js\) are not run/);
    expect(img).toMatchObject({
      container: { image: 'alpine:3', entrypoint: "'/bin/echo'", args: '"$ECI_ACTION_ARG_0" "$ECI_ACTION_ARG_1"' },
      env: {
        INPUT_MSG: '${{ steps.js.outputs.v }}',
        ECI_ACTION_ARG_0: '${{ (steps.js.outputs.v) }}!',
        ECI_ACTION_ARG_1: 'two',
        E: 'e-${{ (steps.js.outputs.v) }}',
      },
    });
    expect(() => loadWorkflowJobs(join(root, 'ci.yml'), { workspaceRoot: root })).toThrow(
      /uses: o\/img@v1 — .github\/eci-actions\/o\/img@v1 is not in the working tree/,
    );
  });
});
