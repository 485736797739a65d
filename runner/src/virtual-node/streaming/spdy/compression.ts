/**
 * SPDY header compression: ONE zlib stream per direction for the whole connection, primed with the SPDY/3
 * dictionary, each header block ending on a sync flush. Node's zlib streams keep that state; calls are serialised.
 */
import zlib from 'node:zlib';
import { SPDY3_DICTIONARY } from './dictionary.js';

class Serial {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

function flushThrough(stream: zlib.Inflate | zlib.Deflate, input: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const onData = (c: Buffer) => chunks.push(c);
    const onError = (err: Error) => {
      stream.off('data', onData);
      reject(err);
    };
    stream.on('data', onData);
    stream.once('error', onError);
    stream.write(input);
    stream.flush(zlib.constants.Z_SYNC_FLUSH, () => {
      stream.off('data', onData);
      stream.off('error', onError);
      resolve(Buffer.concat(chunks));
    });
  });
}

export class HeaderCodec {
  private readonly inflater = zlib.createInflate({ dictionary: SPDY3_DICTIONARY });
  private readonly deflater = zlib.createDeflate({ dictionary: SPDY3_DICTIONARY });
  private readonly inSerial = new Serial();
  private readonly outSerial = new Serial();

  inflate(block: Buffer): Promise<Buffer> {
    return this.inSerial.run(() => flushThrough(this.inflater, block));
  }

  deflate(block: Buffer): Promise<Buffer> {
    return this.outSerial.run(() => flushThrough(this.deflater, block));
  }

  close(): void {
    this.inflater.destroy();
    this.deflater.destroy();
  }
}
