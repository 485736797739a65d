/** Flag parsing shared by the CLI commands: node's parseArgs plus typed errors for bad values. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { InvalidInput } from '../errors.js';

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
