import { describe, expect, it } from '@jest/globals';
import { InvalidInput } from '@eci-virtual/contract';
import { parseDotenv } from './dotenv.js';

function error(text: string): InvalidInput {
  try {
    parseDotenv(text, '.secrets');
  } catch (err) {
    return err as InvalidInput;
  }
  throw new Error('expected an error');
}

describe('dotenv files (--env-file, --secret-file)', () => {
  it('reads KEY=VALUE lines, skips blanks and comments, trims unquoted values, allows export', () => {
    const text = ['# a comment', '', 'A=1', '  B = two words  ', 'export C=x', 'D=', 'E=a=b', 'F=v # note', 'G=a#b'];
    expect(parseDotenv(text.join('\n'), 'f')).toEqual({
      A: '1',
      B: 'two words',
      C: 'x',
      D: '',
      E: 'a=b',
      F: 'v',
      G: 'a#b',
    });
  });

  it('takes single quotes literally and double quotes with escapes, both across lines', () => {
    const text = [
      `S='plain'`,
      `L='$HOME \\n #x'`,
      `Q="say \\"hi\\"\\tnow\\n"`,
      'KEY="-----BEGIN KEY-----',
      'abc',
      '-----END KEY-----"',
      "M='one",
      "two' # trailing comment",
      'AFTER=ok',
    ];
    expect(parseDotenv(text.join('\r\n'), 'f')).toEqual({
      S: 'plain',
      L: '$HOME \\n #x',
      Q: 'say "hi"\tnow\n',
      KEY: '-----BEGIN KEY-----\nabc\n-----END KEY-----',
      M: 'one\ntwo',
      AFTER: 'ok',
    });
  });

  it('a later key wins', () => {
    expect(parseDotenv('A=1\nA=2', 'f')).toEqual({ A: '2' });
  });

  it('names the file and line of each mistake, never the value', () => {
    expect(error('A=1\n\nnot a pair').message).toBe('.secrets:3: expected KEY=VALUE (no "=" on this line)');
    expect(error('A=1\n1BAD=x').message).toMatch(/^\.secrets:2: "1BAD" is not a valid variable name/);
    const open = error('A=1\nTOKEN="hunter2\nmore');
    expect(open.message).toBe('.secrets:2: TOKEN: the " opened here is never closed');
    const after = error("A='x'\nB='hunter2'junk");
    expect(after.message).toMatch(/^\.secrets:2: B: unexpected text after the closing '/);
    for (const e of [open, after]) expect(e.message).not.toContain('hunter2');
  });

  it('counts lines inside multi-line values for later errors', () => {
    expect(error('A="1\n2\n3"\nbad').message).toMatch(/^\.secrets:4: /);
  });
});
