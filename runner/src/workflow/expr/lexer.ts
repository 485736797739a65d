/** Tokens of GitHub Actions expressions (the text inside `${{ }}`), with columns for error messages. */
import { ExpressionError } from './errors.js';

export type Token =
  | { kind: 'number'; value: number; col: number }
  | { kind: 'string'; value: string; col: number }
  | { kind: 'ident'; value: string; col: number }
  | { kind: 'punct'; value: string; col: number }
  | { kind: 'eof'; col: number };

const PUNCT = ['&&', '||', '==', '!=', '<=', '>=', '<', '>', '!', '(', ')', '[', ']', '.', ',', '*'];

export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "'") {
      let value = '';
      let j = i + 1;
      for (;;) {
        if (j >= src.length) throw new ExpressionError('unterminated string', src, i);
        if (src[j] === "'") {
          if (src[j + 1] === "'") {
            value += "'";
            j += 2;
            continue;
          }
          break;
        }
        value += src[j];
        j++;
      }
      out.push({ kind: 'string', value, col: i });
      i = j + 1;
      continue;
    }
    const num = /^(0x[0-9a-fA-F]+|[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?|\.[0-9]+)/.exec(src.slice(i));
    if (num && !(c === '.' && out.length && out[out.length - 1]!.kind !== 'punct')) {
      out.push({ kind: 'number', value: Number(num[0]), col: i });
      i += num[0].length;
      continue;
    }
    if (c === '-' && /[0-9]/.test(src[i + 1] ?? '')) {
      const m = /^-(0x[0-9a-fA-F]+|[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?)/.exec(src.slice(i))!;
      out.push({ kind: 'number', value: -Number(m[1]), col: i });
      i += m[0].length;
      continue;
    }
    const ident = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(src.slice(i));
    if (ident) {
      out.push({ kind: 'ident', value: ident[0], col: i });
      i += ident[0].length;
      continue;
    }
    const p = PUNCT.find((x) => src.startsWith(x, i));
    if (p) {
      out.push({ kind: 'punct', value: p, col: i });
      i += p.length;
      continue;
    }
    throw new ExpressionError(`unexpected character '${c}'`, src, i);
  }
  out.push({ kind: 'eof', col: src.length });
  return out;
}
