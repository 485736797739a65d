import { describe, expect, it } from '@jest/globals';
import { parseHookInput, parsePrependPath, parseScriptStepArgs, parseState } from './protocol.js';
import { mountLinks } from './run-container-step.js';
import { stepWrapper } from './step-wrapper.js';

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

  it('lets the tool a later step added win on PATH', () => {
    // Step 1 added /opt/tool-1/bin, step 2 /opt/tool-2/bin: the runner sends them reversed (newest first).
    const w = stepWrapper({
      entryPoint: 'sh',
      entryPointArgs: [],
      env: {},
      prependPath: parsePrependPath(['/opt/tool-2/bin', '/opt/tool-1/bin']),
    });
    expect(w).toContain(`export PATH='/opt/tool-2/bin:/opt/tool-1/bin':"$PATH"`);
  });
});

describe('step wrapper', () => {
  it('sets directory, env and PATH (newest first, as the runner sends it), then execs the entry point', () => {
    const w = stepWrapper({
      entryPoint: 'bash',
      entryPointArgs: ['-e', '/__w/_temp/a b.sh'],
      env: { A: "it's", 'BAD-NAME': 'x' },
      prependPath: ['/one', '/two'],
      workingDirectory: '/__w/r/r',
    });
    expect(w).toBe(
      [
        'set -e',
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
    ).toEqual([`mkdir -p "$(dirname '/github/workspace')" '/__w/r/r'`, "ln -sfn '/__w/r/r' '/github/workspace'"]);
  });
});
