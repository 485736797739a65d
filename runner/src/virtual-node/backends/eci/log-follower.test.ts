import { describe, expect, it } from '@jest/globals';
import { formatLogs, rfc3339Nano } from '../../../../test/eci-emulator/logs.js';
import type { LogLine } from '../../../../test/eci-emulator/runtime.js';
import { createLogger } from '../../../observability/logger.js';
import type { LogOptions } from '../backend.js';
import type { ParamValue } from './eci-client.js';
import { execCommandProblem } from './exec-framing.js';
import { firstQuery, followLogs, LOG_LINE_CAP, splitStamp, type LogSource } from './log-follower.js';

const T0 = Date.parse('2024-05-01T10:00:00Z');

/**
 * A container whose log gets `burst(poll)` new lines (1 ms apart) just before each DescribeContainerLog call,
 * answered the way the emulator answers (newest `Tail` lines, 1 MB) — and which ends after `polls` calls.
 */
function emulatedLog(burst: (poll: number) => number, polls: number) {
  const log: LogLine[] = [];
  const queries: Record<string, ParamValue>[] = [];
  const source: LogSource = {
    fetch: async (q) => {
      queries.push(q);
      for (let i = burst(queries.length); i > 0; i--)
        log.push({ time: new Date(T0 + log.length), stream: 'stdout', text: `line ${log.length}` });
      return formatLogs(log, {
        ...(q.StartTime !== undefined ? { startTime: Date.parse(String(q.StartTime)) } : {}),
        ...(q.Tail !== undefined ? { tail: Number(q.Tail) } : {}),
        timestamps: q.Timestamps === true,
      });
    },
    finished: () => queries.length >= polls,
  };
  return { log, queries, source };
}

async function follow(source: LogSource, intervalMs: number, options: Partial<LogOptions> = {}) {
  const warnings: Record<string, unknown>[] = [];
  const log = createLogger({}, { level: 'warn', write: (line) => warnings.push(JSON.parse(line)) });
  let out = '';
  for await (const c of followLogs(
    source,
    { follow: true, timestamps: false, previous: false, ...options },
    new AbortController().signal,
    { intervalMs, log },
  ))
    out += String(c);
  return { lines: out.split('\n').slice(0, -1), warnings };
}

describe('log follower', () => {
  it('makes timestamps comparable whatever their precision', () => {
    const a = splitStamp('2024-05-01T10:00:00.5Z x');
    const b = splitStamp('2024-05-01T10:00:00.123456789Z y');
    expect(a).toMatchObject({ key: '2024-05-01T10:00:00Z.500000000', text: 'x' });
    expect(b.key! < a.key!).toBe(true);
    expect(splitStamp('no stamp').key).toBeUndefined();
  });

  it('drops lines already delivered when polls overlap, including equal stamps', async () => {
    const t = '2024-05-01T10:00:00.100000000Z';
    const polls = [`${t} a\n${t} b\n`, `${t} a\n${t} b\n${t} c\n`, `${t} a\n${t} b\n${t} c\n2024-05-01T10:00:01Z d\n`];
    const queries: unknown[] = [];
    let n = 0;
    const source: LogSource = {
      fetch: async (q) => {
        queries.push(q);
        return polls[Math.min(n++, polls.length - 1)]!;
      },
      finished: () => n >= polls.length,
    };
    let out = '';
    for await (const c of followLogs(
      source,
      { follow: true, timestamps: false, previous: false },
      new AbortController().signal,
      { intervalMs: 1, log: createLogger({}, { level: 'error' }) },
    ))
      out += String(c);
    expect(out).toBe('a\nb\nc\nd\n');
    expect(queries[1]).toEqual({ Timestamps: true, Tail: LOG_LINE_CAP, StartTime: '2024-05-01T10:00:00Z' });
  });

  it('asks for the largest page ECI gives (its default is 500 lines) and keeps within its caps', () => {
    const base = { follow: false, timestamps: false, previous: false };
    expect(firstQuery(base, false)).toMatchObject({ Tail: 2000, LimitBytes: undefined });
    expect(firstQuery({ ...base, tailLines: 10 }, true)).toMatchObject({ Tail: 10, Timestamps: true });
    expect(firstQuery({ ...base, tailLines: 5_000, limitBytes: 5 << 20 }, false)).toMatchObject({
      Tail: 2000,
      LimitBytes: 1 << 20,
    });
  });

  it('polls again at once after a busy page: more than a page per poll interval arrives exactly once', async () => {
    // 1500 lines before each of 4 polls, then the container ends: 6000 lines where one interval (60 s here —
    // waiting would time the test out) would hold only 2000.
    const { log, queries, source } = emulatedLog((poll) => (poll <= 4 ? 1500 : 0), 4);
    const started = Date.now();
    const { lines, warnings } = await follow(source, 60_000);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(lines).toHaveLength(6000);
    expect(lines).toEqual(log.map((l) => l.text));
    expect(queries.slice(1).every((q) => q.Tail === LOG_LINE_CAP)).toBe(true);
    expect(warnings).toEqual([]);
  });

  it('when more than a page arrives between two polls, reports the missing range and repeats nothing', async () => {
    // ECI answers the newest 2000 lines since StartTime and cannot page forward from there: lines 10..509 are out
    // of reach once 2500 arrive between two polls. Nothing may be duplicated or reordered, and the gap is reported.
    const { log, source } = emulatedLog((poll) => (poll === 1 ? 10 : poll === 2 ? 2500 : 0), 3);
    const { lines, warnings } = await follow(source, 1, { timestamps: true });
    expect(lines.map((l) => splitStamp(l).text)).toEqual([...log.slice(0, 10), ...log.slice(510)].map((l) => l.text));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      level: 'warn',
      after: rfc3339Nano(log[9]!.time),
      before: rfc3339Nano(log[510]!.time),
      pageLines: 2000,
    });
  });

  it('checks exec commands against the published limits', () => {
    expect(execCommandProblem(['sh', '-c', 'true'])).toBeUndefined();
    expect(execCommandProblem([])).toMatch(/empty/);
    expect(execCommandProblem(Array.from({ length: 21 }, () => 'a'))).toMatch(/21 arguments/);
    expect(execCommandProblem(['a'.repeat(257)])).toMatch(/257 characters/);
  });
});
