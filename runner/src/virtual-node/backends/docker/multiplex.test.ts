import { describe, expect, it } from '@jest/globals';
import { Demuxer, frame, type StreamKind } from './multiplex.js';

describe('Demuxer', () => {
  it('splits frames by stream even when chunks cut headers and payloads', () => {
    const out: [StreamKind, string][] = [];
    const d = new Demuxer((k, p) => out.push([k, p.toString()]));
    const bytes = Buffer.concat([
      frame(1, Buffer.from('hello ')),
      frame(2, Buffer.from('oops')),
      frame(1, Buffer.from('world')),
    ]);
    for (let i = 0; i < bytes.length; i += 3) d.push(bytes.subarray(i, i + 3));
    expect(out).toEqual([
      ['stdout', 'hello '],
      ['stderr', 'oops'],
      ['stdout', 'world'],
    ]);
    expect(d.pending).toBe(0);
  });

  it('keeps an incomplete trailing frame pending', () => {
    const d = new Demuxer(() => undefined);
    d.push(frame(1, Buffer.from('abc')).subarray(0, 9));
    expect(d.pending).toBe(9);
  });
});
