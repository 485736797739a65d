/** Flag parsing shared by the CLI commands: node's parseArgs plus typed errors for bad values. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { InvalidInput } from '@eci-virtual/contract';

export function parseFlags<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new InvalidInput((err as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, ''), {
      hint: 'see eci-virtual --help',
    });
  }
}

export function intFlag(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535 * 1000)
    throw new InvalidInput(`--${name} must be a non-negative integer, got "${value}"`);
  return n;
}

/** `host:port` (IPv6 hosts in brackets) → parts, with a clear error for anything else. */
export function parseHostPort(value: string, name: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < 1 || port > 65535) throw new InvalidInput(`--${name} expects host:port, got "${value}"`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90s`, `30m`, `24h`, `1h30m`, `7d` → milliseconds; InvalidInput naming the flag for anything else. */
export function durationFlag(value: string | undefined, name: string, fallbackMs: number): number {
  if (value === undefined) return fallbackMs;
  const parts = [...value.matchAll(/(\d+)(ms|s|m|h|d)/g)];
  if (!value || parts.map((p) => p[0]).join('') !== value)
    throw new InvalidInput(`--${name} expects a duration such as 30m, 24h or 1h30m, got "${value}"`);
  return parts.reduce((ms, p) => ms + Number(p[1]) * UNIT_MS[p[2]!]!, 0);
}
