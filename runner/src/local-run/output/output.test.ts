import { describe, expect, it } from '@jest/globals';
import { LineSplitter } from './line-splitter.js';
import { Masker } from './masker.js';
import { CommandParser } from './workflow-commands.js';

describe('CommandParser', () => {
  it('parses commands with properties and escaping', () => {
    const p = new CommandParser();
    expect(p.parse('::error file=app.js,line=10,title=Bad%3A thing::Something%0Awent wrong')).toEqual({
      name: 'error',
      properties: { file: 'app.js', line: '10', title: 'Bad: thing' },
      message: 'Something\nwent wrong',
    });
    expect(p.parse('::group::Build')).toEqual({ name: 'group', properties: {}, message: 'Build' });
    expect(p.parse('plain output')).toBeUndefined();
  });
  it('honours stop-commands until the token comes back', () => {
    const p = new CommandParser();
    p.parse('::stop-commands::tok123');
    expect(p.parse('::error::not a command now')).toBeUndefined();
    expect(p.parse('::tok123::')).toBeUndefined();
    expect(p.parse('::warning::again')).toMatchObject({ name: 'warning', message: 'again' });
  });
});

describe('Masker', () => {
  it('masks the longest secrets first and each line of multi-line secrets', () => {
    const m = new Masker();
    m.add('abc');
    m.add('abcdef');
    m.add('line1\nline2');
    expect(m.mask('x abcdef y abc z line2')).toBe('x *** y *** z ***');
  });
});

describe('LineSplitter', () => {
  it('joins lines and multi-byte characters split across chunks', () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l));
    const bytes = Buffer.from('héllo\r\nwörld\nlast');
    for (let i = 0; i < bytes.length; i++) s.push(bytes.subarray(i, i + 1));
    s.flush();
    expect(lines).toEqual(['héllo', 'wörld', 'last']);
  });
});
