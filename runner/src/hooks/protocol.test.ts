import { describe, expect, it } from '@jest/globals';
import { parseHookInput, parseScriptStepArgs, parseState } from './protocol.js';
import { stepWrapper } from './exec-fallback.js';
import { mountLinks } from './run-container-step.js';

describe('hook protocol', () => {
  it('parses the runner input', () => {
    const input = parseHookInput(
      JSON.stringify({
        command: 'prepare_job',
        responseFile: '/tmp/r.json',
        args: { container: { image: 'x' } },
        state: {},
      }),
    );
    expect(input).toMatchObject({ command: 'prepare_job', responseFile: '/tmp/r.json' });
    expect(parseHookInput('{"command":"cleanup_job","responseFile":null,"args":{}}').command).toBe('cleanup_job');
  });

  it.each([
    ['not json', /not JSON/],
    ['[]', /unknown command/],
    ['{"command":"rm_rf"}', /unknown command "rm_rf"/],
    ['{"command":"prepare_job","args":{}}', /needs responseFile/],
    ['{"command":"run_script_step","responseFile":7}', /responseFile must be a string/],
  ])('rejects %s', (text, message) => expect(() => parseHookInput(text)).toThrow(message));

  it('validates script step args and state', () => {
    expect(() => parseScriptStepArgs({ entryPoint: 'sh' })).toThrow(/workingDirectory/);
    expect(() => parseScriptStepArgs({ entryPoint: 'sh', entryPointArgs: [1], workingDirectory: '/w' })).toThrow(
      /entryPointArgs/,
    );
    expect(() =>
      parseScriptStepArgs({ entryPoint: 'sh', environmentVariables: { A: 1 }, workingDirectory: '/w' }),
    ).toThrow(/environmentVariables.A/);
    expect(() => parseState(undefined)).toThrow(/prepare_job must run first/);
    expect(parseState({ pod: { namespace: 'n', name: 'p' }, jobContainer: 'job' })).toEqual({
      pod: { namespace: 'n', name: 'p' },
      jobContainer: 'job',
      services: [],
    });
    // What prepare_job computed once comes back in every later call.
    expect(parseState({ pod: { namespace: 'n', name: 'p' }, facts: '{}', agents: ['job', 'step-0'] })).toEqual({
      pod: { namespace: 'n', name: 'p' },
      services: [],
      facts: '{}',
      agents: ['job', 'step-0'],
    });
  });
});

describe('prependPath', () => {
  it('keeps the runner order: an array newest first (v2.294.0+), or one joined string from older runners', () => {
    const args = (prependPath: unknown) =>
      parseScriptStepArgs({ entryPoint: 'sh', entryPointArgs: [], workingDirectory: '/w', prependPath }).prependPath;
    expect(args(['/newest/bin', '/older/bin'])).toEqual(['/newest/bin', '/older/bin']);
    expect(args('/newest/bin:/older/bin')).toEqual(['/newest/bin', '/older/bin']);
    expect(args(undefined)).toEqual([]);
    expect(args('')).toEqual([]);
    expect(() => args([1, 2])).toThrow(/prependPath must be a list of strings/);
    expect(() => args({ a: 1 })).toThrow(/prependPath/);
  });
});

describe('exec fallback wrapper (pods without an agent)', () => {
  it('links, sets directory, env and PATH (newest first, as the runner sends it), then execs the argv', () => {
    const w = stepWrapper({
      argv: ['bash', '-e', '/__w/_temp/a b.sh'],
      env: { A: "it's", 'BAD-NAME': 'x' },
      prependPath: ['/one', '/two'],
      workingDir: '/__w/r/r',
      symlinks: [{ path: '/github/workspace', target: '/__w/r/r' }],
    });
    expect(w).toBe(
      [
        'set -e',
        `mkdir -p "$(dirname '/github/workspace')" '/__w/r/r'`,
        "ln -sfn '/__w/r/r' '/github/workspace'",
        "mkdir -p '/__w/r/r'",
        "cd '/__w/r/r'",
        "export A='it'\\''s'",
        'export PATH=\'/one:/two\':"$PATH"',
        'set +e',
        "exec 'bash' '-e' '/__w/_temp/a b.sh'",
        '',
      ].join('\n'),
    );
  });
});

describe('run_container_step mounts', () => {
  it('turns runner bind mounts under its work folder into links onto the workspace', () => {
    expect(
      mountLinks(
        [
          { sourceVolumePath: '/home/runner/_work/r/r', targetVolumePath: '/github/workspace' },
          { sourceVolumePath: '/home/runner/_work', targetVolumePath: '/__w' },
          { sourceVolumePath: '/var/run/docker.sock', targetVolumePath: '/var/run/docker.sock' },
        ],
        '/home/runner/_work',
      ),
    ).toEqual([{ path: '/github/workspace', target: '/__w/r/r' }]);
  });
});
