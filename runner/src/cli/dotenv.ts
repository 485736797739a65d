/**
 * `--env-file` and `--secret-file`: dotenv files as `act` users write them.
 *
 * - blank lines and lines starting with `#` are ignored; `export ` before a key is allowed;
 * - `KEY=value`: the value runs to the end of the line, trimmed; ` #` (a space, then `#`) starts a comment;
 * - `KEY='value'`: taken literally, may span lines;
 * - `KEY="value"`: `\n`, `\r`, `\t`, `\"`, `\\` and `\$` are escapes, may span lines;
 * - keys are shell variable names (letters, digits, `_`, not starting with a digit); a later key wins;
 * - no `${VAR}` expansion.
 *
 * Errors name the file and line but never the value: a secret file's lines are secrets.
 */
import { existsSync, readFileSync } from 'node:fs';
import { InvalidInput } from '@eci-virtual/contract';

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\', $: '$' };

/** Parses dotenv text; `source` names it in errors (`.secrets:4: …`). */
export function parseDotenv(text: string, source: string): Record<string, string> {
  const out: Record<string, string> = {};
  const src = text.replace(/\r\n?/g, '\n');
  let i = 0;
  let line = 1;
  const fail = (at: number, what: string): never => {
    throw new InvalidInput(`${source}:${at}: ${what}`, { hint: 'the dotenv format: eci-virtual run --help' });
  };
  while (i < src.length) {
    const eol = src.indexOf('\n', i) < 0 ? src.length : src.indexOf('\n', i);
    const raw = src.slice(i, eol);
    const trimmed = raw.trim();
    if (!trimmed || trimmed.startsWith('#')) {
      i = eol + 1;
      line++;
      continue;
    }
    const startLine = line;
    const lead = raw.length - raw.trimStart().length;
    let body = raw.trimStart();
    let offset = i + lead;
    const exported = /^export\s+/.exec(body);
    if (exported) {
      body = body.slice(exported[0].length);
      offset += exported[0].length;
    }
    const eq = body.indexOf('=');
    if (eq < 0) fail(startLine, 'expected KEY=VALUE (no "=" on this line)');
    const key = body.slice(0, eq).trim();
    if (!KEY.test(key))
      fail(
        startLine,
        `"${key.slice(0, 40)}" is not a valid variable name (letters, digits and _, not starting with a digit)`,
      );
    let j = offset + eq + 1;
    while (src[j] === ' ' || src[j] === '\t') j++;
    const quote = src[j];
    let value: string;
    if (quote === "'" || quote === '"') {
      let k = j + 1;
      value = '';
      for (;;) {
        if (k >= src.length) fail(startLine, `${key}: the ${quote} opened here is never closed`);
        const c = src[k]!;
        if (c === quote) break;
        if (quote === '"' && c === '\\' && k + 1 < src.length) {
          const e = src[k + 1]!;
          value += ESCAPES[e] ?? `\\${e}`;
          if (e === '\n') line++;
          k += 2;
          continue;
        }
        if (c === '\n') line++;
        value += c;
        k++;
      }
      const closeEol = src.indexOf('\n', k) < 0 ? src.length : src.indexOf('\n', k);
      const rest = src.slice(k + 1, closeEol);
      if (rest.trim() && !/^\s+#/.test(rest))
        fail(line, `${key}: unexpected text after the closing ${quote} (a comment needs a space before #)`);
      i = closeEol + 1;
    } else {
      const restOfLine = src.slice(j, eol);
      const comment = /(^|\s)#/.exec(restOfLine);
      value = (comment ? restOfLine.slice(0, comment.index) : restOfLine).trim();
      i = eol + 1;
    }
    out[key] = value;
    line++;
  }
  return out;
}

/** Reads a dotenv file named by `--<flag>`; nothing when the flag is not given. */
export function readDotenvFile(path: string | undefined, flag: string): Record<string, string> {
  if (path === undefined) return {};
  if (!existsSync(path)) throw new InvalidInput(`--${flag} ${path} does not exist`);
  return parseDotenv(readFileSync(path, 'utf8'), path);
}
