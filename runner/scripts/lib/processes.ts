/**
 * Background processes owned by our scripts: started detached with a pid file and a log file, stopped only when the
 * pid file still names a live process whose command line is ours (a recycled pid is never killed).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ManagedProcess {
  name: string;
  pidFile: string;
  logFile: string;
  /** A string that must appear in /proc/<pid>/cmdline for the pid to count as ours. */
  marker: string;
  /**
   * The directory it runs in, where whatever it (or a child) writes to a relative path lands; default the caller's,
   * which is the checkout (or runner/ under `yarn workspace`) — give one under .local for processes that do that.
   */
  cwd?: string;
}

export function readPid(proc: ManagedProcess): number | undefined {
  if (!existsSync(proc.pidFile)) return undefined;
  const pid = Number(readFileSync(proc.pidFile, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

function cmdline(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return undefined;
  }
}

/** The pid of our live process, or undefined (a stale pid file is removed). */
export function runningPid(proc: ManagedProcess): number | undefined {
  const pid = readPid(proc);
  if (pid === undefined) return undefined;
  const cmd = cmdline(pid);
  if (cmd !== undefined && cmd.includes(proc.marker) && !isZombie(pid)) return pid;
  rmSync(proc.pidFile, { force: true });
  return undefined;
}

function isZombie(pid: number): boolean {
  try {
    return / Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^\d+ \(.*?\)/, ''));
  } catch {
    return true;
  }
}

export function startDetached(
  proc: ManagedProcess,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): number {
  mkdirSync(dirname(proc.pidFile), { recursive: true });
  mkdirSync(dirname(proc.logFile), { recursive: true });
  const out = openSync(proc.logFile, 'a');
  if (proc.cwd) mkdirSync(proc.cwd, { recursive: true });
  const child = spawn(command, args, {
    detached: true,
    stdio: ['ignore', out, out],
    env,
    ...(proc.cwd ? { cwd: proc.cwd } : {}),
  });
  if (child.pid === undefined) throw new Error(`could not start ${proc.name} (${command})`);
  child.unref();
  writeFileSync(proc.pidFile, String(child.pid));
  return child.pid;
}

/** The command line (arguments joined by spaces) of our live process, or undefined when it is not running. */
export function commandLine(proc: ManagedProcess): string | undefined {
  const pid = runningPid(proc);
  return pid === undefined ? undefined : cmdline(pid);
}

/** SIGTERM, wait up to `graceMs`, then SIGKILL. Returns whether a process was stopped. */
export async function stopProcess(proc: ManagedProcess, graceMs = 10_000): Promise<boolean> {
  const pid = runningPid(proc);
  if (pid === undefined) return false;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (cmdline(pid) === undefined || isZombie(pid)) break;
    await sleep(100);
  }
  if (cmdline(pid) !== undefined && !isZombie(pid)) process.kill(pid, 'SIGKILL');
  rmSync(proc.pidFile, { force: true });
  return true;
}

/** Last lines of a process log, for error messages when a component fails to come up. */
export function logTail(proc: ManagedProcess, lines = 15): string {
  if (!existsSync(proc.logFile)) return '(no log)';
  return readFileSync(proc.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

/** Poll `check` until it resolves true, the process dies, or the deadline passes. */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  opts: { timeoutMs: number; proc?: ManagedProcess; intervalMs?: number },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (opts.proc && runningPid(opts.proc) === undefined) {
      throw new Error(
        `${opts.proc.name} exited before ${what}; last log lines (${opts.proc.logFile}):\n${logTail(opts.proc)}`,
      );
    }
    if (Date.now() > deadline) {
      const tail = opts.proc ? `; last log lines (${opts.proc.logFile}):\n${logTail(opts.proc)}` : '';
      throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${what}${tail}`);
    }
    await sleep(opts.intervalMs ?? 200);
  }
}
