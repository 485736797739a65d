import { describe, expect, it } from '@jest/globals';
import { formatBytes, formatMs, formatSeconds, formatShare, formatTime, formatUsd } from './format.js';

describe('format', () => {
  it('milliseconds', () => {
    expect(formatMs(undefined)).toBe('—');
    expect(formatMs(80)).toBe('80 ms');
    expect(formatMs(1500)).toBe('1.50 s');
    expect(formatMs(12_345)).toBe('12.3 s');
    expect(formatMs(125_000)).toBe('2m 05s');
  });

  it('seconds', () => {
    expect(formatSeconds(undefined)).toBe('—');
    expect(formatSeconds(42.4)).toBe('42s');
    expect(formatSeconds(181.42)).toBe('3m 01s');
    expect(formatSeconds(3 * 3600 + 7 * 60)).toBe('3h 07m');
  });

  it('money, shares, sizes, times', () => {
    expect(formatUsd(0)).toBe('$0.00');
    expect(formatUsd(0.0035)).toBe('$0.0035');
    expect(formatUsd(12.345)).toBe('$12.35');
    expect(formatShare(0.504)).toBe('50%');
    expect(formatShare(undefined)).toBe('—');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(402_653_184)).toBe('384.0 MiB');
    expect(formatTime('2026-11-20T10:00:00.123Z')).toBe('2026-11-20 10:00:00Z');
    expect(formatTime('not a time')).toBe('not a time');
    expect(formatTime(undefined)).toBe('—');
  });

  it('US dollars: <$0.0001, four decimals below a cent, cents from a cent up, a minus before negatives', () => {
    expect(formatUsd(undefined)).toBe('—');
    expect(formatUsd(Number.NaN)).toBe('—');
    expect(formatUsd(Number.POSITIVE_INFINITY)).toBe('—');
    expect(formatUsd(0)).toBe('$0.00');
    expect(formatUsd(-0)).toBe('$0.00');
    // Above zero but below what four decimals show.
    expect(formatUsd(0.000001)).toBe('<$0.0001');
    expect(formatUsd(0.00009999)).toBe('<$0.0001');
    // Four decimals from $0.0001 to just below a cent.
    expect(formatUsd(0.0001)).toBe('$0.0001');
    expect(formatUsd(0.00012)).toBe('$0.0001');
    expect(formatUsd(0.0021)).toBe('$0.0021');
    expect(formatUsd(0.00994)).toBe('$0.0099');
    expect(formatUsd(0.009999)).toBe('$0.01');
    // Cents from $0.01 up.
    expect(formatUsd(0.01)).toBe('$0.01');
    expect(formatUsd(0.014)).toBe('$0.01');
    expect(formatUsd(0.5)).toBe('$0.50');
    expect(formatUsd(1234.5)).toBe('$1234.50');
    // Negatives: the same tiers, `-` in front of the dollar sign.
    expect(formatUsd(-0.00005)).toBe('-<$0.0001');
    expect(formatUsd(-0.0035)).toBe('-$0.0035');
    expect(formatUsd(-12.345)).toBe('-$12.35');
  });
});
