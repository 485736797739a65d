import { describe, expect, it } from '@jest/globals';
import { createLogger } from '../../../observability/logger.js';
import { execCommandProblem } from './exec-framing.js';
import { followLogs, splitStamp, type LogSource } from './log-follower.js';

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
    expect(queries[1]).toEqual({ Timestamps: true, StartTime: '2024-05-01T10:00:00Z' });
  });

  it('checks exec commands against the published limits', () => {
    expect(execCommandProblem(['sh', '-c', 'true'])).toBeUndefined();
    expect(execCommandProblem([])).toMatch(/empty/);
    expect(execCommandProblem(Array.from({ length: 21 }, () => 'a'))).toMatch(/21 arguments/);
    expect(execCommandProblem(['a'.repeat(257)])).toMatch(/257 characters/);
  });
});
