/**
 * Runs one step in the job pod with ONE exec (see launcher.ts). Output is delivered by byte offset, so when the exec
 * connection drops the runner reconnects and resumes exactly where it stopped: nothing lost, nothing repeated, and
 * the exit code always comes from the step's durable result file.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Cancelled, describeError, Unavailable } from '@eci-virtual/contract';
import type { ExecTransport } from '../kube/exec.js';
import type { Logger } from '../observability/logger.js';
import { KILLER, LAUNCHER } from './launcher.js';
import { TrailerParser, type StepOutcome } from './protocol.js';

export interface StepTarget {
  pod: { namespace: string; name: string };
  container: string;
  /** Directory for this step's files on the shared workspace emptyDir. */
  dir: string;
}

export interface RunStepOptions {
  /** The generated wrapper script (see step-script.ts). */
  wrapper: string;
  onOutput: (chunk: Buffer) => void;
  signal?: AbortSignal;
  log?: Logger;
  /** Reconnect attempts after a dropped stream (default 8, backing off up to 5 s). */
  maxReconnects?: number;
}

export interface StepRun extends StepOutcome {
  /** Exec sessions used: 1 unless the stream dropped. */
  execs: number;
  outputBytes: number;
}

export async function runStep(transport: ExecTransport, target: StepTarget, opts: RunStepOptions): Promise<StepRun> {
  let offset = 0;
  const maxReconnects = opts.maxReconnects ?? 8;
  for (let attempt = 0; ; attempt++) {
    if (opts.signal?.aborted) throw new Cancelled('step cancelled');
    const trailer = new TrailerParser();
    let failure: unknown;
    try {
      await transport.exec(
        target.pod,
        target.container,
        ['/bin/sh', '-c', LAUNCHER, 'eci-launcher', target.dir, String(offset), 'launch'],
        {
          stdin: opts.wrapper,
          stdout: (chunk) => {
            offset += chunk.length;
            opts.onOutput(chunk);
          },
          stderr: (chunk) => trailer.push(chunk),
          ...(opts.signal ? { signal: opts.signal } : {}),
        },
      );
    } catch (err) {
      failure = err;
    }
    if (trailer.noise.length)
      opts.log?.debug('step transport diagnostics', { dir: target.dir, noise: trailer.noise.slice(0, 5) });
    const outcome = trailer.outcome();
    if (outcome) return { ...outcome, execs: attempt + 1, outputBytes: offset };
    if (opts.signal?.aborted) throw new Cancelled('step cancelled');
    if (attempt >= maxReconnects) {
      throw new Unavailable(
        `lost the step's exec stream ${attempt + 1} times; last error: ${failure ? describeError(failure) : 'stream ended without a result'}`,
      );
    }
    opts.log?.warn('step stream dropped; resuming from offset', {
      dir: target.dir,
      offset,
      attempt: attempt + 1,
      err: failure ? describeError(failure) : undefined,
    });
    await sleep(Math.min(100 * 2 ** attempt, 5_000));
  }
}

/** Stops a running step: SIGTERM to its process group, SIGKILL after `graceMs`. */
export async function killStep(transport: ExecTransport, target: StepTarget, graceMs = 5_000): Promise<void> {
  const send = (sig: string) =>
    transport
      .exec(target.pod, target.container, ['/bin/sh', '-c', KILLER, 'eci-killer', target.dir, sig], {
        stdout: () => undefined,
        stderr: () => undefined,
      })
      .catch(() => undefined);
  await send('TERM');
  await sleep(graceMs);
  await send('KILL');
}
