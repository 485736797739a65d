/**
 * Logs, exec and attach through the Engine API. Non-tty streams arrive multiplexed and are split into stdout/stderr;
 * exec's exit code is read from `/exec/{id}/json` after the stream ends (the stream itself carries none).
 */
import { PassThrough, type Duplex, type Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidInput } from '@eci-virtual/contract';
import type { ExecIo, LogOptions } from '../backend.js';
import type { EngineClient } from './engine-client.js';
import type { ContainerInspect } from './inspect-status.js';
import { Demuxer } from './multiplex.js';

async function isTty(engine: EngineClient, id: string): Promise<{ tty: boolean; running: boolean }> {
  const inspect = await engine.json<ContainerInspect & { Config?: { Tty?: boolean } }>('GET', `/containers/${id}/json`);
  return { tty: inspect.Config?.Tty ?? false, running: inspect.State?.Running ?? false };
}

export async function containerLogStream(
  engine: EngineClient,
  id: string,
  o: LogOptions,
  signal: AbortSignal,
): Promise<Readable> {
  if (o.previous) throw new InvalidInput('previous terminated container logs are not kept by the docker backend');
  const { tty } = await isTty(engine, id);
  const since = o.sinceTime
    ? Math.floor(o.sinceTime.getTime() / 1000)
    : o.sinceSeconds
      ? Math.floor(Date.now() / 1000) - o.sinceSeconds
      : undefined;
  const res = await engine.stream('GET', `/containers/${id}/logs`, {
    query: {
      stdout: true,
      stderr: true,
      follow: o.follow,
      timestamps: o.timestamps,
      tail: o.tailLines ?? 'all',
      ...(since !== undefined ? { since } : {}),
    },
    signal,
    longLived: o.follow,
  });
  if (tty) return res;
  const out = new PassThrough();
  const demux = new Demuxer((kind, payload) => kind !== 'system' && out.write(payload));
  res.on('data', (c: Buffer) => demux.push(c));
  res.on('end', () => out.end());
  res.on('error', (err) => out.destroy(err));
  signal.addEventListener('abort', () => res.destroy(), { once: true });
  return out;
}

/** Pumps a hijacked engine connection to/from the caller's streams; resolves when the output side ends. */
function pump(socket: Duplex, io: ExecIo, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    let finished = false;
    const done = () => {
      if (finished) return;
      finished = true;
      resolve();
    };
    if (io.tty) {
      socket.on('data', (c: Buffer) => io.stdout?.write(c));
    } else {
      const demux = new Demuxer((kind, payload) => {
        if (kind === 'stderr') io.stderr?.write(payload);
        else if (kind === 'stdout') io.stdout?.write(payload);
      });
      socket.on('data', (c: Buffer) => demux.push(c));
    }
    socket.on('end', done);
    socket.on('close', done);
    socket.on('error', done);
    if (io.stdin) {
      io.stdin.on('data', (c: Buffer) => socket.write(c));
      // Half-close tells the engine that stdin is finished (the process sees EOF).
      io.stdin.on('end', () => socket.end());
    }
    signal.addEventListener(
      'abort',
      () => {
        socket.destroy();
        done();
      },
      { once: true },
    );
  });
}

export async function execInContainer(
  engine: EngineClient,
  id: string,
  command: string[],
  io: ExecIo,
  signal: AbortSignal,
): Promise<number> {
  if (!command.length) throw new InvalidInput('exec needs a command');
  const { running } = await isTty(engine, id);
  if (!running) throw new InvalidInput('cannot exec in a container that is not running');
  const { Id: execId } = await engine.json<{ Id: string }>('POST', `/containers/${id}/exec`, {
    body: { AttachStdin: !!io.stdin, AttachStdout: true, AttachStderr: !io.tty, Tty: io.tty, Cmd: command },
  });
  const socket = await engine.hijack('POST', `/exec/${execId}/start`, { body: { Detach: false, Tty: io.tty } });
  void resizeLoop(engine, `/exec/${execId}/resize`, io, signal);
  await pump(socket, io, signal);
  // The exit code is recorded a moment after the stream closes.
  for (let i = 0; i < 50; i++) {
    const info = await engine.json<{ Running?: boolean; ExitCode?: number | null }>('GET', `/exec/${execId}/json`);
    if (!info.Running && info.ExitCode !== null && info.ExitCode !== undefined) return info.ExitCode;
    await sleep(i < 10 ? 10 : 100);
  }
  throw new InvalidInput(`exec ${execId} ended without an exit code`);
}

export async function attachContainer(
  engine: EngineClient,
  id: string,
  io: ExecIo,
  signal: AbortSignal,
): Promise<number> {
  const socket = await engine.hijack('POST', `/containers/${id}/attach`, {
    query: { stream: true, stdin: !!io.stdin, stdout: true, stderr: true, logs: false },
  });
  void resizeLoop(engine, `/containers/${id}/resize`, io, signal);
  await pump(socket, io, signal);
  // The stream can end a moment before the engine records the exit: wait briefly for the real exit code; a
  // container still running after that was detached from (-1).
  try {
    const { StatusCode } = await engine.json<{ StatusCode: number }>('POST', `/containers/${id}/wait`, {
      signal: AbortSignal.any([signal, AbortSignal.timeout(2_000)]),
      longLived: true,
    });
    return StatusCode;
  } catch {
    const inspect = await engine.json<ContainerInspect>('GET', `/containers/${id}/json`);
    return inspect.State?.Running ? -1 : (inspect.State?.ExitCode ?? -1);
  }
}

async function resizeLoop(engine: EngineClient, path: string, io: ExecIo, signal: AbortSignal): Promise<void> {
  if (!io.tty || !io.resize) return;
  try {
    for await (const size of io.resize) {
      if (signal.aborted) return;
      await engine.stream('POST', path, { query: { h: size.height, w: size.width } }).then(
        (r) => r.resume(),
        () => undefined,
      );
    }
  } catch {
    /* the resize stream ends with the session */
  }
}
