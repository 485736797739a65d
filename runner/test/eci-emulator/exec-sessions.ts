/**
 * The WebSocket side of ExecContainerCommand: each call mints a one-time URI valid for 30 s; a client that connects
 * in time gets the command run through the GroupRuntime, framed as exec-wire.ts describes (the emulator's own
 * reading of Kubernetes' v5.channel.k8s.io, independent of the product's exec-framing.ts).
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { PassThrough, Writable } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { exitStatus, frame, STREAM, unframe } from './exec-wire.js';
import type { GroupRuntime } from './runtime.js';

export const EXEC_URI_TTL_MS = 30_000;

interface PendingExec {
  groupId: string;
  container: string;
  command: string[];
  tty: boolean;
  stdin: boolean;
  expiresAt: number;
}

export class ExecSessions {
  private readonly pending = new Map<string, PendingExec>();
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly active = new Set<WebSocket>();

  constructor(
    private readonly runtime: GroupRuntime,
    private readonly ttlMs = EXEC_URI_TTL_MS,
  ) {}

  /** Registers a session; returns the path part of its WebSocketUri. */
  mint(exec: Omit<PendingExec, 'expiresAt'>): string {
    for (const [t, p] of this.pending) if (p.expiresAt < Date.now()) this.pending.delete(t);
    const token = randomBytes(16).toString('hex');
    this.pending.set(token, { ...exec, expiresAt: Date.now() + this.ttlMs });
    return `/exec/${token}`;
  }

  /** The HTTP server's `upgrade` handler. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const token = /^\/exec\/([0-9a-f]{32})$/.exec(new URL(req.url ?? '/', 'http://x').pathname)?.[1];
    const exec = token ? this.pending.get(token) : undefined;
    if (token) this.pending.delete(token); // one use only
    if (!exec || exec.expiresAt < Date.now()) {
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.serve(ws, exec));
  }

  private serve(ws: WebSocket, exec: PendingExec): void {
    this.active.add(ws);
    const abort = new AbortController();
    const stdin = exec.stdin ? new PassThrough() : undefined;
    const sink = (stream: typeof STREAM.stdout | typeof STREAM.stderr) =>
      new Writable({
        write(chunk: Buffer, _enc, done) {
          if (ws.readyState === ws.OPEN) ws.send(frame(stream, chunk), done);
          else done();
        },
      });
    ws.on('message', (data: Buffer) => {
      const got = unframe(data);
      if (!got || !stdin) return;
      if (got.stream === STREAM.stdin) stdin.write(got.payload);
      else if (got.stream === STREAM.close && got.payload[0] === STREAM.stdin) stdin.end();
    });
    ws.on('close', () => {
      this.active.delete(ws);
      abort.abort();
      stdin?.end();
    });
    const finish = (end: { exitCode: number } | { error: string }) => {
      if (ws.readyState !== ws.OPEN) return;
      ws.send(frame(STREAM.error, JSON.stringify(exitStatus(end))), () => ws.close(1000));
    };
    this.runtime
      .exec(
        exec.groupId,
        exec.container,
        exec.command,
        { ...(stdin ? { stdin } : {}), stdout: sink(STREAM.stdout), stderr: sink(STREAM.stderr), tty: exec.tty },
        abort.signal,
      )
      .then(
        (exitCode) => finish({ exitCode }),
        (err: unknown) => finish({ error: (err as Error).message }),
      );
  }

  close(): void {
    for (const ws of this.active) ws.terminate();
    this.wss.close();
  }
}
