/**
 * Environment as POSIX shell source (`export K='v'` lines) — the format of the shared env file every step sources,
 * so variables reach steps without growing the pod spec. Single-quoting makes any value safe, newlines included.
 */
import { InvalidInput, shellQuote } from '@eci-virtual/contract';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function renderEnv(env: Iterable<[string, string]>): string {
  let out = '';
  for (const [k, v] of env) {
    if (!NAME.test(k)) throw new InvalidInput(`environment variable name "${k}" is not a valid shell identifier`);
    out += `export ${k}=${shellQuote(v)}\n`;
  }
  return out;
}
