/**
 * The client side of an ECI exec session: connects to the WebSocketUri ExecContainerCommand returned and bridges
 * it to the caller's streams (framing in exec-framing.ts); resolves with the command's exit code. Honors stream
 * backpressure (pauses the socket while stdout/stderr are full) and `signal` (closes the socket).
 */
import { WebSocket } from 'ws';
import { Cancelled, Unavailable } from '@eci-virtual/contract';
import type { ExecIo } from '../backend.js';
import {
  CHANNEL,
  decodeFrame,
  encodeFrame,
  resizeFrame,
  exitFromStatus,
  stdinClosedFrame,
  type ExecStatus,
} from './exec-framing.js';

export function bridgeExec(uri: string, io: ExecIo, signal: AbortSignal): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    if (signal.aborted) return reject(new Cancelled('exec cancelled'));
    const ws = new WebSocket(uri, { perMessageDeflate: false });
    let settled = false;
    const done = (fn: () => void) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      io.stdin?.off('data', onStdin);
      io.stdin?.off('end', onStdinEnd);
      fn();
    };
    const onAbort = () => {
      ws.close(1000);
      done(() => reject(new Cancelled('exec cancelled')));
    };
    const send = (frame: Buffer) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(frame);
    };
    const onStdin = (chunk: Buffer | string) => send(encodeFrame(CHANNEL.stdin, chunk));
    const onStdinEnd = () => send(stdinClosedFrame());
    signal.addEventListener('abort', onAbort, { once: true });

    ws.on('open', () => {
      if (io.stdin) {
        io.stdin.on('data', onStdin);
        io.stdin.once('end', onStdinEnd);
      }
      if (io.resize)
        void (async () => {
          for await (const size of io.resize!) {
            if (settled) break;
            send(resizeFrame(size));
          }
        })().catch(() => undefined);
    });
    ws.on('message', (data: Buffer) => {
      const frame = decodeFrame(data);
      if (!frame) return;
      const target =
        frame.channel === CHANNEL.stdout
          ? io.stdout
          : frame.channel === CHANNEL.stderr
            ? (io.stderr ?? (io.tty ? io.stdout : undefined))
            : undefined;
      if (target) {
        if (!target.write(frame.payload)) {
          ws.pause();
          target.once('drain', () => ws.resume());
        }
        return;
      }
      if (frame.channel !== CHANNEL.status) return;
      let status: ExecStatus;
      try {
        status = JSON.parse(frame.payload.toString()) as ExecStatus;
      } catch {
        return done(() => reject(new Unavailable('ECI exec: unreadable exit status')));
      }
      ws.close(1000);
      const end = exitFromStatus(status);
      if ('error' in end) done(() => reject(new Unavailable(`ECI exec failed: ${end.error}`)));
      else done(() => resolve(end.exitCode));
    });
    ws.on('unexpected-response', (_req, res) => {
      res.resume();
      done(() =>
        reject(
          new Unavailable(`ECI exec: the WebSocketUri was refused (HTTP ${res.statusCode}); it is valid for 30 s only`),
        ),
      );
    });
    ws.on('error', (err) => done(() => reject(new Unavailable(`ECI exec stream failed: ${err.message}`))));
    ws.on('close', () =>
      done(() => reject(new Unavailable('ECI exec stream closed before the command reported its exit code'))),
    );
  });
}
