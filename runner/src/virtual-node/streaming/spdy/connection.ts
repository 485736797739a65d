/**
 * The kubelet's side of a SPDY/3.1 exec/attach connection (the API server is the client, using Go's spdystream):
 * answer the HTTP upgrade with the negotiated X-Stream-Protocol-Version, accept the client's streams (one per
 * `streamtype`: error, stdin, stdout, stderr, resize) with SYN_REPLY, echo PINGs, treat FIN on stdin as EOF, and
 * finish by writing the exit status to the error stream and half-closing every stream.
 */
import type { IncomingMessage } from 'node:http';
import { PassThrough, Writable, type Duplex } from 'node:stream';
import { exitStatus, legacyExitText, parseResize, ResizeQueue, type StreamSession } from '../session.js';
import { HeaderCodec } from './compression.js';
import {
  controlFrame,
  dataFrame,
  decodeHeaders,
  encodeHeaders,
  FLAG_FIN,
  readFrames,
  TYPE,
  type Frame,
} from './frames.js';

export const SPDY_PROTOCOLS = [
  'v5.channel.k8s.io',
  'v4.channel.k8s.io',
  'v3.channel.k8s.io',
  'v2.channel.k8s.io',
  'channel.k8s.io',
];

export function isSpdyUpgrade(req: IncomingMessage): boolean {
  return (req.headers.upgrade ?? '').toLowerCase().startsWith('spdy/3');
}

interface Expected {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

export function acceptSpdy(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  expected: Expected,
  timeoutMs = 30_000,
): Promise<StreamSession> {
  const offered = String(req.headers['x-stream-protocol-version'] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const protocol = offered.length ? offered.find((p) => SPDY_PROTOCOLS.includes(p)) : 'channel.k8s.io';
  if (!protocol) return Promise.reject(new Error(`no supported stream protocol among "${offered.join(', ')}"`));
  socket.write(
    'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n' +
      (offered.length ? `X-Stream-Protocol-Version: ${protocol}\r\n` : '') +
      '\r\n',
  );
  const codec = new HeaderCodec();
  const streams = new Map<string, number>(); // streamtype → id
  const stdin = expected.stdin ? new PassThrough() : undefined;
  const resize = expected.tty ? new ResizeQueue() : undefined;
  let resizeBuffer = '';
  let buffered: Buffer = head.length ? Buffer.from(head) : Buffer.alloc(0);
  let closed = false;
  let resolveClosed!: () => void;
  const closedPromise = new Promise<void>((r) => (resolveClosed = r));
  const needed = [
    'error',
    ...(expected.stdin ? ['stdin'] : []),
    ...(expected.stdout ? ['stdout'] : []),
    ...(expected.stderr ? ['stderr'] : []),
    ...(expected.tty ? ['resize'] : []),
  ];
  let onStreams: (() => void) | undefined;
  const write = (buf: Buffer) => {
    if (!closed && socket.writable) socket.write(buf);
  };
  const shutdown = () => {
    if (closed) return;
    closed = true;
    stdin?.end();
    resize?.end();
    codec.close();
    resolveClosed();
  };

  // Frames are handled strictly in order (header inflation is stateful and asynchronous).
  let queue: Promise<void> = Promise.resolve();
  const handle = async (f: Frame): Promise<void> => {
    if (!f.control) {
      const type = [...streams].find(([, id]) => id === f.streamId)?.[0];
      if (type === 'stdin') {
        if (f.payload.length) stdin?.write(f.payload);
        if (f.flags & FLAG_FIN) stdin?.end();
      } else if (type === 'resize') {
        resizeBuffer += f.payload.toString();
        let end;
        while ((end = resizeBuffer.indexOf('}')) >= 0) {
          const size = parseResize(resizeBuffer.slice(0, end + 1));
          resizeBuffer = resizeBuffer.slice(end + 1);
          if (size) resize?.push(size);
        }
      }
      return;
    }
    switch (f.type) {
      case TYPE.SYN_STREAM: {
        const id = f.payload.readUInt32BE(0) & 0x7fffffff;
        const headers = decodeHeaders(await codec.inflate(f.payload.subarray(10)));
        const type = headers.streamtype ?? '';
        streams.set(type, id);
        const reply = Buffer.alloc(4);
        reply.writeUInt32BE(id);
        write(controlFrame(TYPE.SYN_REPLY, 0, Buffer.concat([reply, await codec.deflate(encodeHeaders({}))])));
        if (f.flags & FLAG_FIN && type === 'stdin') stdin?.end();
        if (needed.every((n) => streams.has(n))) onStreams?.();
        return;
      }
      case TYPE.HEADERS:
        await codec.inflate(f.payload.subarray(4)); // keep the shared zlib state in step
        return;
      case TYPE.PING:
        write(controlFrame(TYPE.PING, 0, f.payload));
        return;
      case TYPE.GOAWAY:
        shutdown();
        socket.end();
        return;
      default:
        return; // SETTINGS, WINDOW_UPDATE, RST_STREAM: nothing to do for a kubelet
    }
  };
  socket.on('data', (chunk: Buffer) => {
    buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
    const { frames, rest } = readFrames(buffered);
    buffered = rest;
    for (const f of frames) {
      queue = queue
        .then(() => handle(f))
        .catch(() => {
          socket.destroy();
        });
    }
  });
  socket.on('close', shutdown);
  socket.on('error', shutdown);
  if (buffered.length) socket.emit('data', Buffer.alloc(0));

  const writer = (type: string) =>
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        const id = streams.get(type);
        if (id !== undefined) write(dataFrame(id, 0, chunk));
        cb();
      },
    });

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`SPDY client did not open the expected streams (${needed.join(', ')}) within ${timeoutMs} ms`));
    }, timeoutMs);
    onStreams = () => {
      clearTimeout(timer);
      onStreams = undefined;
      resolve({
        protocol: `SPDY/3.1 ${protocol}`,
        tty: expected.tty,
        ...(stdin ? { stdin } : {}),
        ...(expected.stdout ? { stdout: writer('stdout') } : {}),
        ...(expected.stderr ? { stderr: writer('stderr') } : {}),
        ...(resize ? { resize } : {}),
        closed: closedPromise,
        async finish(result) {
          await queue;
          const errorId = streams.get('error');
          if (errorId !== undefined) {
            const v4 = protocol === 'v4.channel.k8s.io' || protocol === 'v5.channel.k8s.io';
            const text = v4 ? JSON.stringify(exitStatus(result)) : legacyExitText(result);
            if (text) write(dataFrame(errorId, 0, Buffer.from(text)));
          }
          for (const id of streams.values()) write(dataFrame(id, FLAG_FIN, Buffer.alloc(0)));
          // Let the client read the FINs before the connection goes.
          setTimeout(() => {
            socket.end();
            shutdown();
          }, 50);
        },
      });
    };
  });
}
