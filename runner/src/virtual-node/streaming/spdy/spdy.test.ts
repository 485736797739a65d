import { describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import zlib from 'node:zlib';
import { HeaderCodec } from './compression.js';
import { SPDY3_DICTIONARY } from './dictionary.js';
import { controlFrame, dataFrame, decodeHeaders, encodeHeaders, FLAG_FIN, readFrames, TYPE } from './frames.js';

describe('SPDY/3 framing', () => {
  it('builds the dictionary of the SPDY/3 specification byte for byte', () => {
    expect(SPDY3_DICTIONARY.length).toBe(1423);
    expect(createHash('sha256').update(SPDY3_DICTIONARY).digest('hex')).toBe(
      '51d27341373f923f3cd88e1eb7162aeaa3723d7585ff2399201dc06498407f02',
    );
  });

  it('round-trips control and data frames, leaving partial frames for the next read', () => {
    const ping = Buffer.from([0, 0, 0, 7]);
    const bytes = Buffer.concat([controlFrame(TYPE.PING, 0, ping), dataFrame(5, FLAG_FIN, Buffer.from('hello'))]);
    expect(bytes.subarray(0, 4)).toEqual(Buffer.from([0x80, 0x03, 0x00, 0x06]));
    const { frames, rest } = readFrames(Buffer.concat([bytes, bytes.subarray(0, 5)]));
    expect(rest.length).toBe(5);
    expect(frames).toEqual([
      { control: true, type: TYPE.PING, flags: 0, payload: ping },
      { control: false, streamId: 5, flags: FLAG_FIN, payload: Buffer.from('hello') },
    ]);
  });

  it('encodes header blocks with lower-case names', () => {
    expect(decodeHeaders(encodeHeaders({ StreamType: 'stdout', requestid: '1' }))).toEqual({
      streamtype: 'stdout',
      requestid: '1',
    });
    expect(() => decodeHeaders(Buffer.from([0, 0, 0, 1, 0, 0, 0, 9]))).toThrow(/truncated/);
  });

  it('keeps one zlib context per direction across header blocks, as the peer does', async () => {
    const codec = new HeaderCodec();
    // A peer compressing two blocks on one stream with the dictionary and sync flushes.
    const peer = zlib.createDeflate({ dictionary: SPDY3_DICTIONARY });
    const compress = (b: Buffer) =>
      new Promise<Buffer>((resolve) => {
        const out: Buffer[] = [];
        const onData = (c: Buffer) => out.push(c);
        peer.on('data', onData);
        peer.write(b);
        peer.flush(zlib.constants.Z_SYNC_FLUSH, () => {
          peer.off('data', onData);
          resolve(Buffer.concat(out));
        });
      });
    const a = await compress(encodeHeaders({ streamtype: 'error' }));
    const b = await compress(encodeHeaders({ streamtype: 'stdout' }));
    expect(decodeHeaders(await codec.inflate(a))).toEqual({ streamtype: 'error' });
    expect(decodeHeaders(await codec.inflate(b))).toEqual({ streamtype: 'stdout' });
    // And our compressed blocks decompress on the peer's side of the same kind of context.
    const inflater = zlib.createInflate({ dictionary: SPDY3_DICTIONARY });
    const ours = await codec.deflate(encodeHeaders({}));
    const decoded = await new Promise<Buffer>((resolve) => {
      const out: Buffer[] = [];
      inflater.on('data', (c: Buffer) => out.push(c));
      inflater.write(ours);
      inflater.flush(zlib.constants.Z_SYNC_FLUSH, () => resolve(Buffer.concat(out)));
    });
    expect(decodeHeaders(decoded)).toEqual({});
    codec.close();
    peer.destroy();
    inflater.destroy();
  });
});
