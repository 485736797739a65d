/**
 * The Docker Engine's multiplexed stream format (used for logs/exec/attach without a tty): frames of an 8-byte header
 * — stream type (0 stdin, 1 stdout, 2 stderr, 3 system error), three zero bytes, big-endian uint32 length — then the
 * payload. A demuxer must cope with frames split across chunks.
 */
export type StreamKind = 'stdout' | 'stderr' | 'system';

export class Demuxer {
  private buffer: Buffer = Buffer.alloc(0);

  constructor(private readonly emit: (kind: StreamKind, payload: Buffer) => void) {}

  push(chunk: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    while (this.buffer.length >= 8) {
      const size = this.buffer.readUInt32BE(4);
      if (this.buffer.length < 8 + size) return;
      const type = this.buffer[0];
      const payload = this.buffer.subarray(8, 8 + size);
      this.buffer = this.buffer.subarray(8 + size);
      this.emit(type === 2 ? 'stderr' : type === 3 ? 'system' : 'stdout', payload);
    }
  }

  /** Bytes of an incomplete frame left at the end of the stream. */
  get pending(): number {
    return this.buffer.length;
  }
}

export function frame(type: 1 | 2 | 3, payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}
