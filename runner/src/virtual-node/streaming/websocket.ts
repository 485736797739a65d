/**
 * The Kubernetes WebSocket channel protocol (`v5.channel.k8s.io` … `channel.k8s.io`, and the `base64.` variants of
 * v1): every binary message starts with a channel byte — 0 stdin, 1 stdout, 2 stderr, 3 error, 4 resize — and v5 adds
 * 255 = "close channel N" so a client can half-close stdin. This is what a >= 1.36 API server forwards to a kubelet
 * that declares ExtendWebSocketsToKubelet, and what older clients use directly.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { PassThrough, Writable } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { exitStatus, legacyExitText, parseResize, ResizeQueue, type StreamSession } from './session.js';

export const WEBSOCKET_PROTOCOLS = [
  'v5.channel.k8s.io',
  'v4.channel.k8s.io',
  'v3.channel.k8s.io',
  'v2.channel.k8s.io',
  'channel.k8s.io',
  'base64.channel.k8s.io',
];

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;
const RESIZE = 4;
const CLOSE = 255;

const wss = new WebSocketServer({
  noServer: true,
  perMessageDeflate: false,
  handleProtocols: (offered) => WEBSOCKET_PROTOCOLS.find((p) => offered.has(p)) ?? false,
});

export function isWebSocketUpgrade(req: IncomingMessage): boolean {
  return (req.headers.upgrade ?? '').toLowerCase() === 'websocket';
}

export interface ExpectedStreams {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

export function acceptWebSocket(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  expected: ExpectedStreams,
): Promise<StreamSession> {
  return new Promise((resolve, reject) => {
    const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((s) => s.trim());
    if (!offered.some((p) => WEBSOCKET_PROTOCOLS.includes(p))) {
      reject(new Error(`no supported streaming protocol among "${offered.join(', ')}"`));
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => resolve(session(ws, expected)));
  });
}

function session(ws: WebSocket, expected: ExpectedStreams): StreamSession {
  const protocol = ws.protocol;
  const base64 = protocol.startsWith('base64.');
  const v5 = protocol === 'v5.channel.k8s.io';
  const stdin = expected.stdin ? new PassThrough() : undefined;
  const resize = expected.tty ? new ResizeQueue() : undefined;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));

  const send = (channel: number, data: Buffer): Promise<void> =>
    new Promise((resolve) => {
      if (ws.readyState !== ws.OPEN) return resolve();
      if (base64) ws.send(String.fromCharCode(48 + channel) + data.toString('base64'), () => resolve());
      else ws.send(Buffer.concat([Buffer.of(channel), data]), () => resolve());
    });
  const channelWriter = (channel: number) =>
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        void send(channel, chunk).then(() => cb());
      },
    });

  ws.on('message', (raw: Buffer | string, isBinary: boolean) => {
    let data = Buffer.isBuffer(raw) ? raw : Buffer.from(raw);
    let channel: number;
    if (base64 || !isBinary) {
      const text = data.toString();
      channel = text.charCodeAt(0) - 48;
      data = base64 ? Buffer.from(text.slice(1), 'base64') : Buffer.from(text.slice(1));
    } else {
      channel = data[0] ?? -1;
      data = data.subarray(1);
    }
    if (channel === STDIN) {
      if (data.length) stdin?.write(data);
    } else if (channel === RESIZE) {
      const size = parseResize(data);
      if (size) resize?.push(size);
    } else if (channel === CLOSE && v5 && data[0] === STDIN) {
      stdin?.end();
    }
  });
  ws.on('close', () => {
    stdin?.end();
    resize?.end();
    resolveClosed();
  });
  ws.on('error', () => ws.terminate());

  return {
    protocol: `WebSocket ${protocol}`,
    tty: expected.tty,
    ...(stdin ? { stdin } : {}),
    ...(expected.stdout ? { stdout: channelWriter(STDOUT) } : {}),
    ...(expected.stderr ? { stderr: channelWriter(STDERR) } : {}),
    ...(resize ? { resize } : {}),
    closed,
    async finish(result) {
      if (protocol === 'v4.channel.k8s.io' || v5) await send(ERROR, Buffer.from(JSON.stringify(exitStatus(result))));
      else {
        const text = legacyExitText(result);
        if (text) await send(ERROR, Buffer.from(text));
      }
      ws.close(1000);
      resize?.end();
      resolveClosed();
    },
  };
}
