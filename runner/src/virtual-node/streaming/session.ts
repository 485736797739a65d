/**
 * A transport-neutral exec/attach session: what the kubelet API hands to a backend, whatever carried the request
 * (WebSocket channel protocol, SPDY/3.1). `finish` reports the exit status the way the kubelet does, then closes.
 */
import type { Readable, Writable } from 'node:stream';

export interface StreamSession {
  protocol: string;
  tty: boolean;
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
  resize?: AsyncIterable<{ width: number; height: number }>;
  finish(result: { exitCode: number } | { error: string }): Promise<void>;
  /** Resolves when the client goes away (or after finish). */
  closed: Promise<void>;
}

/** The metav1.Status the kubelet writes on the error stream (protocols v4/v5). */
export function exitStatus(result: { exitCode: number } | { error: string }): Record<string, unknown> {
  if ('error' in result)
    return { metadata: {}, status: 'Failure', message: result.error, reason: 'InternalError', code: 500 };
  if (result.exitCode === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [...], exit code ${result.exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(result.exitCode) }] },
  };
}

/** Older protocols (v1–v3) put a plain-text error on the error stream and nothing on success. */
export function legacyExitText(result: { exitCode: number } | { error: string }): string | undefined {
  if ('error' in result) return result.error;
  return result.exitCode === 0
    ? undefined
    : `command terminated with non-zero exit code: exit status ${result.exitCode}`;
}

/** A queue that turns pushed resize events into an async iterable. */
export class ResizeQueue implements AsyncIterable<{ width: number; height: number }> {
  private readonly items: { width: number; height: number }[] = [];
  private wake: (() => void) | undefined;
  private ended = false;

  push(size: { width: number; height: number }): void {
    this.items.push(size);
    this.wake?.();
  }

  end(): void {
    this.ended = true;
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<{ width: number; height: number }> {
    for (;;) {
      const next = this.items.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((r) => (this.wake = r));
      this.wake = undefined;
    }
  }
}

/** Parses one resize message: JSON {"Width":80,"Height":24}; junk is ignored. */
export function parseResize(data: Buffer | string): { width: number; height: number } | undefined {
  try {
    const v = JSON.parse(data.toString()) as { Width?: unknown; Height?: unknown };
    if (typeof v.Width === 'number' && typeof v.Height === 'number') return { width: v.Width, height: v.Height };
  } catch {
    /* not JSON */
  }
  return undefined;
}
