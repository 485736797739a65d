import { describe, expect, it } from '@jest/globals';
import { parseArguments, runnerArgv } from './runner-arguments.js';

/** What the runner sends: its argument string split on single spaces (ContainerHookManager.cs). */
const asSent = (args: string) => args.split(' ').map((a) => a.trim());

describe('runnerArgv', () => {
  it('gives pwsh its command as one argument, without the template quotes', () => {
    const sent = asSent(`-command ". '/__w/_temp/0f3c.ps1'"`);
    expect(sent).toEqual(['-command', '".', `'/__w/_temp/0f3c.ps1'"`]);
    expect(runnerArgv(sent)).toEqual(['-command', `. '/__w/_temp/0f3c.ps1'`]);
  });

  it('keeps the plain templates as they are', () => {
    expect(runnerArgv(asSent('-e /__w/_temp/a.sh'))).toEqual(['-e', '/__w/_temp/a.sh']);
    expect(runnerArgv(asSent('--noprofile --norc -e -o pipefail /__w/_temp/a.sh'))).toEqual([
      '--noprofile',
      '--norc',
      '-e',
      '-o',
      'pipefail',
      '/__w/_temp/a.sh',
    ]);
    expect(runnerArgv(asSent('/__w/_temp/a.py'))).toEqual(['/__w/_temp/a.py']);
  });

  it('follows .NET argument parsing for quotes and backslashes', () => {
    expect(parseArguments('a "b c" d')).toEqual(['a', 'b c', 'd']);
    expect(parseArguments('"a ""quoted"" word"')).toEqual(['a "quoted" word']);
    expect(parseArguments('a\\\\"b c"')).toEqual(['a\\b c']);
    expect(parseArguments('a\\"b')).toEqual(['a"b']);
    expect(parseArguments('C:\\dir\\file')).toEqual(['C:\\dir\\file']);
    expect(parseArguments("it's 'one two'")).toEqual(["it's", "'one", "two'"]);
    expect(parseArguments('  spaced   out  ')).toEqual(['spaced', 'out']);
    expect(parseArguments('""')).toEqual(['']);
  });
});
