/**
 * Recursive-descent parser for GitHub expressions. Precedence (low → high): `||`, `&&`, `== !=`, `< <= > >=`, `!`,
 * then postfix property access (`.name`, `['key']`, `.*`) on literals, contexts, calls and parenthesised groups.
 */
import type { Node } from './ast.js';
import { ExpressionError } from './errors.js';
import { tokenize, type Token } from './lexer.js';

/**
 * How deep groups, calls, indexes and `!` may nest. Real expressions nest a handful of levels; the limit keeps a
 * pathological one (thousands of `(`) a clear error instead of a blown stack (runner/docs/bad-input.md).
 */
export const MAX_NESTING = 100;

export function parse(src: string): Node {
  const tokens = tokenize(src);
  let pos = 0;
  const peek = (): Token => tokens[pos]!;
  const fail = (msg: string, t = peek()): never => {
    throw new ExpressionError(msg, src, t.col);
  };
  const isPunct = (v: string) => peek().kind === 'punct' && (peek() as { value: string }).value === v;
  let depth = 0;
  const nested = <T>(fn: () => T): T => {
    if (++depth > MAX_NESTING) fail(`expression nests deeper than ${MAX_NESTING} levels`);
    try {
      return fn();
    } finally {
      depth--;
    }
  };
  const expect = (v: string) => {
    if (!isPunct(v)) fail(`expected '${v}'`);
    pos++;
  };

  function binary(ops: string[], next: () => Node): () => Node {
    return () => {
      let left = next();
      while (peek().kind === 'punct' && ops.includes((peek() as { value: string }).value)) {
        const op = (tokens[pos++] as { value: string }).value;
        left = { type: 'binary', op, left, right: next() };
      }
      return left;
    };
  }

  function unary(): Node {
    if (isPunct('!')) {
      pos++;
      return { type: 'not', operand: nested(unary) };
    }
    return postfix(primary());
  }

  function primary(): Node {
    const t = tokens[pos++]!;
    switch (t.kind) {
      case 'number':
      case 'string':
        return { type: 'literal', value: t.value };
      case 'ident': {
        if (t.value === 'true' || t.value === 'false') return { type: 'literal', value: t.value === 'true' };
        if (t.value === 'null') return { type: 'literal', value: null };
        if (isPunct('(')) {
          pos++;
          const args: Node[] = [];
          if (!isPunct(')')) {
            for (;;) {
              args.push(nested(or));
              if (isPunct(',')) {
                pos++;
                continue;
              }
              break;
            }
          }
          expect(')');
          return { type: 'call', name: t.value.toLowerCase(), args };
        }
        return { type: 'context', name: t.value.toLowerCase() };
      }
      case 'punct':
        if (t.value === '(') {
          const inner = nested(or);
          expect(')');
          return inner;
        }
        return fail(`unexpected '${t.value}'`, t);
      case 'eof':
        return fail('unexpected end of expression', t);
    }
  }

  function postfix(node: Node): Node {
    for (;;) {
      if (isPunct('.')) {
        pos++;
        const t = tokens[pos++]!;
        if (t.kind === 'punct' && t.value === '*') node = { type: 'filter', target: node };
        else if (t.kind === 'ident') node = { type: 'index', target: node, key: { type: 'literal', value: t.value } };
        else fail('expected a property name after "."', t);
      } else if (isPunct('[')) {
        pos++;
        if (isPunct('*')) {
          pos++;
          node = { type: 'filter', target: node };
        } else node = { type: 'index', target: node, key: nested(or) };
        expect(']');
      } else return node;
    }
  }

  const compare = binary(['<', '<=', '>', '>='], unary);
  const equality = binary(['==', '!='], compare);
  const and = binary(['&&'], equality);
  const or = binary(['||'], and);
  const node = or();
  if (peek().kind !== 'eof') fail('unexpected token');
  return node;
}
