/**
 * CPU time spent during the burst, per process, from Linux's /proc (proc(5)): `/proc/<pid>/stat` fields 14 and 15
 * (utime, stime, in clock ticks of USER_HZ, which is 100 on every Linux the project runs on) and the `cpu` line of
 * `/proc/stat` for the whole machine. On a machine that also runs the control plane and the simulation, webhook→pod
 * is mostly a question of whether the cores are saturated; this says who used them, in ms of CPU per job.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

const USER_HZ = 100;

/** The control plane's processes, by `/proc/<pid>/comm` (which the kernel cuts at 15 characters). */
const CLUSTER = {
  'API server': 'kube-apiserver',
  etcd: 'etcd',
  scheduler: 'kube-scheduler',
  'controller-manager': 'kube-controller',
} as const;

/** CPU ms of each named group of processes, and the machine's busy and total ms, at one moment. */
export interface CpuSnapshot {
  byGroup: Record<string, number>;
  machine: { busyMs: number; totalMs: number };
}

/** utime + stime of one process in ms; 0 when it is gone. */
export function processCpuMs(pid: number): number {
  try {
    return cpuMsOfStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return 0;
  }
}

/** utime + stime (ms) from a `/proc/<pid>/stat` line; the command name may hold spaces and parentheses. */
export function cpuMsOfStat(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After "pid (comm) ", field 3 (state) is index 0, so utime (14) and stime (15) are indexes 11 and 12.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / USER_HZ;
}

/** Busy and total ms of the machine from `/proc/stat`'s first line (idle and iowait count as not busy). */
export function machineCpuMs(procStat: string): { busyMs: number; totalMs: number } {
  const ticks = (/^cpu\s+(.*)$/m.exec(procStat)?.[1] ?? '').trim().split(/\s+/).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already inside user).
  const total = ticks.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  return { busyMs: ((total - idle) * 1000) / USER_HZ, totalMs: (total * 1000) / USER_HZ };
}

function clusterPids(): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let comm: string;
    try {
      comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
    } catch {
      continue;
    }
    for (const [group, name] of Object.entries(CLUSTER)) if (comm === name) (out[group] ??= []).push(Number(entry));
  }
  return out;
}

/** A snapshot of `groups` (named pids of the product and simulation) plus the control plane's processes. */
export function cpuSnapshot(groups: Record<string, number[]>): CpuSnapshot {
  const byGroup: Record<string, number> = {};
  for (const [group, pids] of Object.entries({ ...clusterPids(), ...groups }))
    byGroup[group] = pids.reduce((sum, pid) => sum + processCpuMs(pid), 0);
  return { byGroup, machine: machineCpuMs(readFileSync('/proc/stat', 'utf8')) };
}

/** Where the CPU went between two snapshots: ms per job of each group, and how busy the machine's cores were. */
export function cpuPerJob(
  a: CpuSnapshot,
  b: CpuSnapshot,
  jobs: number,
): { perJobMs: Record<string, number>; cores: number; busyPercent: number } {
  const perJobMs: Record<string, number> = {};
  for (const [group, ms] of Object.entries(b.byGroup))
    perJobMs[group] = Math.max(0, ms - (a.byGroup[group] ?? 0)) / Math.max(1, jobs);
  const total = b.machine.totalMs - a.machine.totalMs;
  const busy = b.machine.busyMs - a.machine.busyMs;
  return { perJobMs, cores: availableParallelism(), busyPercent: total > 0 ? (100 * busy) / total : NaN };
}

export function formatCpu(c: ReturnType<typeof cpuPerJob>): string {
  const parts = Object.entries(c.perJobMs)
    .sort((x, y) => y[1] - x[1])
    .map(([group, ms]) => `${group} ${Math.round(ms)}`);
  return `CPU in the burst, ms per job: ${parts.join(', ')}; the machine's ${c.cores} cores were ${Math.round(c.busyPercent)}% busy`;
}
