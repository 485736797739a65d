/**
 * SPDY/3.1 framing (pure). Control frames: 1 control bit, 15-bit version (3), 16-bit type, 8-bit flags, 24-bit
 * length. Data frames: 0 bit + 31-bit stream id, 8-bit flags, 24-bit length. Header blocks (before compression):
 * a 32-bit pair count, then 32-bit-length-prefixed names and values (names lower-case; several values of one name
 * are NUL-separated).
 */
export const TYPE = {
  SYN_STREAM: 1,
  SYN_REPLY: 2,
  RST_STREAM: 3,
  SETTINGS: 4,
  PING: 6,
  GOAWAY: 7,
  HEADERS: 8,
  WINDOW_UPDATE: 9,
} as const;
export const FLAG_FIN = 0x01;

export type Frame =
  | { control: true; type: number; flags: number; payload: Buffer }
  | { control: false; streamId: number; flags: number; payload: Buffer };

/** Splits complete frames off the front of `buf`; returns them and the unconsumed rest. */
export function readFrames(buf: Buffer): { frames: Frame[]; rest: Buffer } {
  const frames: Frame[] = [];
  let off = 0;
  while (buf.length - off >= 8) {
    const length = buf.readUIntBE(off + 5, 3);
    if (buf.length - off < 8 + length) break;
    const first = buf.readUInt32BE(off);
    const flags = buf[off + 4]!;
    const payload = buf.subarray(off + 8, off + 8 + length);
    if (first & 0x80000000) frames.push({ control: true, type: first & 0xffff, flags, payload });
    else frames.push({ control: false, streamId: first & 0x7fffffff, flags, payload });
    off += 8 + length;
  }
  return { frames, rest: buf.subarray(off) };
}

export function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE((0x8000 | 3) * 0x10000 + type);
  head[4] = flags;
  head.writeUIntBE(payload.length, 5, 3);
  return Buffer.concat([head, payload]);
}

export function dataFrame(streamId: number, flags: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(streamId & 0x7fffffff);
  head[4] = flags;
  head.writeUIntBE(payload.length, 5, 3);
  return Buffer.concat([head, payload]);
}

export function encodeHeaders(headers: Record<string, string>): Buffer {
  const parts: Buffer[] = [];
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  const entries = Object.entries(headers);
  parts.push(u32(entries.length));
  for (const [k, v] of entries) {
    const name = Buffer.from(k.toLowerCase());
    const value = Buffer.from(v);
    parts.push(u32(name.length), name, u32(value.length), value);
  }
  return Buffer.concat(parts);
}

export function decodeHeaders(block: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let off = 0;
  const u32 = () => {
    if (off + 4 > block.length) throw new Error('truncated SPDY header block');
    const n = block.readUInt32BE(off);
    off += 4;
    return n;
  };
  const str = () => {
    const n = u32();
    if (off + n > block.length) throw new Error('truncated SPDY header block');
    const s = block.subarray(off, off + n).toString('utf8');
    off += n;
    return s;
  };
  const count = u32();
  for (let i = 0; i < count; i++) {
    const name = str().toLowerCase();
    out[name] = str();
  }
  return out;
}
