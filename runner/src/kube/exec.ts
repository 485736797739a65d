/**
 * Exec into a pod's container through the API server (WebSocket, v5.channel.k8s.io so stdin can be half-closed),
 * exactly the path `kubectl exec` takes. Resolves with the command's exit code; rejects when the connection fails
 * or drops before the exit status arrives (callers decide whether to reconnect).
 */
import { Exec, type V1Status } from '@kubernetes/client-node';
import { PassThrough, Readable, Writable } from 'node:stream';
import { Unavailable } from '@eci-virtual/contract';
import type { KubeClients } from './client.js';

export interface ExecIo {
  /** All of stdin at once. */
  stdin?: Buffer | string;
  /** Or stdin as a stream fed while the command runs (its end half-closes stdin): a long-lived exec's input. */
  stdinStream?: Readable;
  stdout: (chunk: Buffer) => void;
  stderr: (chunk: Buffer) => void;
  signal?: AbortSignal;
}

export interface ExecTransport {
  exec(pod: { namespace: string; name: string }, container: string, command: string[], io: ExecIo): Promise<number>;
}

function sink(fn: (chunk: Buffer) => void): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      fn(chunk);
      cb();
    },
  });
}

/** `Failure` with reason NonZeroExitCode carries the code in details.causes[ExitCode]. */
export function exitCodeFromStatus(status: V1Status): number | undefined {
  if (status.status === 'Success') return 0;
  const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
  if (cause?.message !== undefined) return Number(cause.message);
  return undefined;
}

export class KubeExec implements ExecTransport {
  private readonly execApi: Exec;

  constructor(kube: KubeClients) {
    this.execApi = new Exec(kube.config);
  }

  async exec(
    pod: { namespace: string; name: string },
    container: string,
    command: string[],
    io: ExecIo,
  ): Promise<number> {
    const stdin = io.stdinStream ?? (io.stdin === undefined ? null : Readable.from([Buffer.from(io.stdin)]));
    let status: V1Status | undefined;
    let settled = false;
    return new Promise<number>((resolve, reject) => {
      const finish = (err?: Error) => {
        if (settled) return;
        settled = true;
        if (status) {
          const code = exitCodeFromStatus(status);
          if (code !== undefined) return resolve(code);
          return reject(new Unavailable(`exec failed: ${status.message ?? status.reason ?? 'unknown error'}`));
        }
        reject(
          err ?? new Unavailable(`exec into ${pod.namespace}/${pod.name}/${container} ended without an exit status`),
        );
      };
      this.execApi
        .exec(
          pod.namespace,
          pod.name,
          container,
          command,
          sink(io.stdout),
          sink(io.stderr),
          stdin ?? (null as unknown as PassThrough),
          false,
          (s) => {
            status = s;
          },
        )
        .then((ws) => {
          io.signal?.addEventListener('abort', () => ws.close(), { once: true });
          ws.on('close', () => setImmediate(() => finish()));
          ws.on('error', (err: Error) =>
            finish(new Unavailable(`exec connection error: ${err.message}`, { cause: err })),
          );
        })
        .catch((err: unknown) =>
          finish(
            new Unavailable(
              `exec into ${pod.namespace}/${pod.name}/${container} failed: ${(err as Error).message ?? String(err)}`,
              { cause: err },
            ),
          ),
        );
    });
  }
}
