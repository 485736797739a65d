import { describe, expect, it } from '@jest/globals';
import { TrailerParser } from './protocol.js';

describe('TrailerParser', () => {
  it('reads the exit code and length-prefixed files across arbitrary chunk boundaries', () => {
    const text =
      'sleep: noise\n::eci-result::3\n::eci-file::output::11\nA=1\nB<<X\nX\n\n::eci-file::env::4\nC=2\n::eci-end::\n';
    const p = new TrailerParser();
    const bytes = Buffer.from(text);
    for (let i = 0; i < bytes.length; i += 5) p.push(bytes.subarray(i, i + 5));
    expect(p.outcome()).toEqual({ exitCode: 3, files: { output: 'A=1\nB<<X\nX\n', env: 'C=2\n' } });
    expect(p.noise).toEqual(['sleep: noise']);
  });

  it('reports no outcome when the trailer is cut off, so a dropped stream never looks like success', () => {
    const p = new TrailerParser();
    p.push(Buffer.from('::eci-result::0\n::eci-file::output::100\nA=1\n'));
    expect(p.outcome()).toBeUndefined();
    const q = new TrailerParser();
    q.push(Buffer.from('::eci-result::0\n'));
    expect(q.outcome()).toBeUndefined();
  });
});
