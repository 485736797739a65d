import { describe, expect, it } from '@jest/globals';
import { shellQuote } from '@eci-virtual/contract';
import { parseKeyValueFile, parsePathFile } from './file-commands.js';
import { renderEnv } from '../pod-assembly/shell-env.js';

describe('file commands', () => {
  it('parses name=value lines and heredocs, later values winning', () => {
    const text = 'A=1\nB=x=y\nMULTI<<EOF\nline 1\nline 2\nEOF\nA=2\n';
    expect([...parseKeyValueFile(text, 'GITHUB_OUTPUT')]).toEqual([
      ['A', '2'],
      ['B', 'x=y'],
      ['MULTI', 'line 1\nline 2'],
    ]);
  });
  it('rejects an unterminated heredoc and junk lines', () => {
    expect(() => parseKeyValueFile('X<<END\nnever closed', 'GITHUB_ENV')).toThrow(/matching delimiter "END" not found/);
    expect(() => parseKeyValueFile('no equals sign', 'GITHUB_ENV')).toThrow(/invalid line/);
  });
  it('reads GITHUB_PATH entries', () => {
    expect(parsePathFile('/opt/a\n\n /opt/b \n')).toEqual(['/opt/a', '/opt/b']);
  });
});

describe('shell env', () => {
  it('quotes anything safely', () => {
    expect(shellQuote(`it's $HOME "x"`)).toBe(`'it'\\''s $HOME "x"'`);
    expect(
      renderEnv([
        ['A', 'x\ny'],
        ['B', ''],
      ]),
    ).toBe("export A='x\ny'\nexport B=''\n");
    expect(() => renderEnv([['BAD-NAME', '1']])).toThrow(/not a valid shell identifier/);
  });
});
