/**
 * The requesting side of the spool (the agent side is @eci-virtual/contract spool-agent.ts): runs a script in a neighbouring container of the job pod through
 * the shared workspace and follows its output by byte offset until its durable exit code appears.
 *
 *   const { exitCode } = await runSpooled({ spoolDir: '/__w/_temp/_eci/spool/kaniko', script, onOutput, signal });
 *
 * Nothing is lost when this process is slow or restarts: the log and result stay on the emptyDir.
 */
import { randomBytes } from 'node:crypto';
import { open, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Cancelled, Unavailable } from '@eci-virtual/contract';

export interface SpoolRequest {
  spoolDir: string;
  /** Script run by the agent's shell. */
  script: string;
  onOutput: (chunk: Buffer) => void;
  signal?: AbortSignal;
  /** What to call the helper in errors, e.g. "the kaniko container". */
  helper?: string;
  /** A heartbeat older than this means no agent runs (default 15 s; the agent beats every 2 s). */
  staleAfterMs?: number;
  /** After a cancel, how long to wait for the agent to record the exit code (default 20 s). */
  cancelWaitMs?: number;
}

export interface SpoolResult {
  id: string;
  exitCode: number;
  /** Directory of the request (log, result), for files the script wrote next to them. */
  dir: string;
  outputBytes: number;
}

export async function agentAlive(spoolDir: string, staleAfterMs = 15_000): Promise<boolean> {
  try {
    const beat = Number((await readFile(join(spoolDir, '.agent'), 'utf8')).trim());
    return Number.isFinite(beat) && Date.now() - beat * 1000 < staleAfterMs;
  } catch {
    return false;
  }
}

export async function runSpooled(req: SpoolRequest): Promise<SpoolResult> {
  const helper = req.helper ?? 'the helper container';
  const staleAfterMs = req.staleAfterMs ?? 15_000;
  if (!(await agentAlive(req.spoolDir, staleAfterMs)))
    throw new Unavailable(
      `${helper} is not running its request loop (no fresh heartbeat in ${req.spoolDir}/.agent); ` +
        'is it part of this job pod?',
    );
  const id = `${Date.now().toString().padStart(14, '0')}-${randomBytes(4).toString('hex')}`;
  const dir = join(req.spoolDir, id);
  const staging = join(req.spoolDir, `.staging-${id}`);
  await mkdir(staging, { recursive: true });
  await writeFile(join(staging, 'wrapper.sh'), req.script, { mode: 0o644 });
  await rename(staging, dir);

  let offset = 0;
  let cancelledAt: number | undefined;
  let idle = 0;
  const log = join(dir, 'log');
  const drain = async (): Promise<void> => {
    let size: number;
    try {
      size = (await stat(log)).size;
    } catch {
      return;
    }
    if (size <= offset) return;
    const fh = await open(log, 'r');
    try {
      const buf = Buffer.alloc(size - offset);
      const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
      if (bytesRead > 0) {
        offset += bytesRead;
        req.onOutput(buf.subarray(0, bytesRead));
        idle = 0;
      }
    } finally {
      await fh.close();
    }
  };
  for (;;) {
    let result: string | undefined;
    try {
      result = await readFile(join(dir, 'result'), 'utf8');
    } catch {
      result = undefined;
    }
    await drain();
    if (result !== undefined) {
      if (cancelledAt !== undefined) throw new Cancelled(`${helper}: request ${id} cancelled`);
      return { id, exitCode: Number(result.trim()), dir, outputBytes: offset };
    }
    if (req.signal?.aborted && cancelledAt === undefined) {
      cancelledAt = Date.now();
      await writeFile(join(dir, 'cancel'), '');
    }
    if (cancelledAt !== undefined && Date.now() - cancelledAt > (req.cancelWaitMs ?? 20_000))
      throw new Cancelled(`${helper}: request ${id} cancelled; its exit code was not recorded in time`);
    if (idle % 20 === 19 && !(await agentAlive(req.spoolDir, staleAfterMs)))
      throw new Unavailable(
        `${helper} stopped (its heartbeat is older than ${staleAfterMs / 1000} s) while running ${id}`,
      );
    idle++;
    await sleep(idle < 20 ? 20 : 100);
  }
}
