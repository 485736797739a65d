import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shellCommand, stepWrapper } from './step-script.js';

describe('shellCommand', () => {
  it('uses GitHub templates and custom {0} shells', () => {
    expect(shellCommand('bash', '/s/x.sh').command).toBe(`exec bash --noprofile --norc -eo pipefail '/s/x.sh'`);
    expect(shellCommand('perl {0}', '/s/x.sh').command).toBe(`exec perl '/s/x.sh'`);
    expect(() => shellCommand('zsh', '/s/x')).toThrow(/must be bash, sh, python, pwsh or a command containing \{0\}/);
  });
});

describe('stepWrapper', () => {
  it('runs the script with env, PATH and working directory, keeping the script body uninterpreted', () => {
    // Executed for real by the host's sh, with the pod paths redirected into a temp dir.
    const root = mkdtempSync(join(tmpdir(), 'eci-step-'));
    const envFile = join(root, 'env');
    writeFileSync(envFile, "export SHARED='from annotation'\nexport GITHUB_WORKSPACE='" + join(root, 'ws') + "'\n");
    mkdirSync(join(root, 'bin'));
    writeFileSync(join(root, 'bin', 'hello-tool'), '#!/bin/sh\necho tool ran\n', { mode: 0o755 });
    const wrapper = stepWrapper({
      dir: join(root, 'step'),
      script:
        'echo "$SHARED / $STEP_VAR / $(pwd)"\nhello-tool\necho \'$NOT_EXPANDED\'\necho "name=value" >> "$GITHUB_OUTPUT"\nexit 5',
      shell: 'sh',
      env: [['STEP_VAR', "it's here"]],
      workingDirectory: root,
      path: [join(root, 'bin')],
    })
      .replace('. /__eci/env/env', `. ${envFile}`)
      .replace(/\/__eci\/secrets\/env/g, join(root, 'nosecrets'));
    mkdirSync(join(root, 'step'));
    let status = 0;
    let out = '';
    try {
      out = execFileSync('/bin/sh', ['-c', wrapper], { encoding: 'utf8' });
    } catch (err) {
      status = (err as { status: number }).status;
      out = (err as { stdout: string }).stdout;
    }
    expect(status).toBe(5);
    expect(out).toBe(`from annotation / it's here / ${root}\ntool ran\n$NOT_EXPANDED\n`);
    expect(execFileSync('cat', [join(root, 'step', 'output')], { encoding: 'utf8' })).toBe('name=value\n');
  });
});
