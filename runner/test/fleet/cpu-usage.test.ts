import { describe, expect, it } from '@jest/globals';
import { cpuMsOfStat, cpuPerJob, cpuSnapshot, formatCpu, machineCpuMs, processCpuMs } from './cpu-usage.js';

describe('fleet CPU accounting', () => {
  it('reads utime and stime from a stat line whose command holds spaces and parentheses', () => {
    // proc(5): pid (comm) state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime ...
    const stat = '4242 (node (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 11 0 5 0';
    expect(cpuMsOfStat(stat)).toBe(3000);
  });

  it("counts idle and iowait as the machine's spare time", () => {
    const text = 'cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 50 0 25 400 25 0 0 0 0 0\n';
    expect(machineCpuMs(text)).toEqual({ busyMs: 1500, totalMs: 10000 });
  });

  it('gives each group its CPU per job between two snapshots, and how busy the cores were', () => {
    const a = { byGroup: { etcd: 1000, controllers: 500 }, machine: { busyMs: 0, totalMs: 0 } };
    const b = { byGroup: { etcd: 3000, controllers: 4500, node: 100 }, machine: { busyMs: 1500, totalMs: 2000 } };
    const c = cpuPerJob(a, b, 100);
    expect(c.perJobMs).toEqual({ etcd: 20, controllers: 40, node: 1 });
    expect(c.busyPercent).toBe(75);
    expect(formatCpu(c)).toMatch(
      /^CPU in the burst, ms per job: controllers 40, etcd 20, node 1; the machine's \d+ cores were 75% busy$/,
    );
  });

  it('measures this very process, and a process that is gone as 0', () => {
    const before = processCpuMs(process.pid);
    const until = Date.now() + 200;
    while (Date.now() < until); // busy on purpose
    expect(processCpuMs(process.pid)).toBeGreaterThan(before);
    expect(processCpuMs(2 ** 22 + 1)).toBe(0);
    expect(cpuSnapshot({ me: [process.pid] }).byGroup.me).toBeGreaterThan(0);
  });
});
