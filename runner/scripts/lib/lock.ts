/**
 * A cross-process lock file holding the owner's pid. `yarn engine up` and the test global setup may run at the same
 * time; without it both would start a service on one socket or build the same image into one directory. A lock whose
 * owner died (crash, Ctrl-C) is taken over.
 */
import { mkdirSync, openSync, closeSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Timeout } from '@eci-virtual/contract';

function ownerAlive(path: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(path, 'utf8').trim());
  } catch {
    return true; // being written right now: treat as held
  }
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function tryAcquire(path: string): boolean {
  try {
    const fd = openSync(path, 'wx');
    writeSync(fd, String(process.pid));
    closeSync(fd);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    if (!ownerAlive(path)) rmSync(path, { force: true });
    return false;
  }
}

/** Runs `fn` holding the lock at `path`; waits up to `timeoutMs` for another holder (announced once via `log`). */
export async function withLock<T>(
  path: string,
  fn: () => Promise<T>,
  opts: { timeoutMs: number; log?: (msg: string) => void; what: string },
): Promise<T> {
  mkdirSync(dirname(path), { recursive: true });
  const deadline = Date.now() + opts.timeoutMs;
  let announced = false;
  while (!tryAcquire(path)) {
    if (!announced) opts.log?.(`waiting for another process to finish ${opts.what} (${path})`);
    announced = true;
    if (Date.now() > deadline) throw new Timeout(`timed out waiting for the lock on ${opts.what} (${path})`);
    await sleep(250);
  }
  try {
    return await fn();
  } finally {
    rmSync(path, { force: true });
  }
}
