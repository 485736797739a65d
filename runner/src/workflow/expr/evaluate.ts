/**
 * Evaluates expressions with GitHub's semantics: loose equality with number coercion, case-insensitive string
 * comparison, `&&`/`||` returning operands, property access that yields null instead of failing, object filters,
 * and the documented functions. Status functions read the job status from the evaluation state.
 */
import type { Node } from './ast.js';
import { ExpressionError } from './errors.js';
import { parse } from './parser.js';

export type JobStatus = 'success' | 'failure' | 'cancelled';
/**
 * What the status functions see. A job's `if:` also knows `skipped`: a need was skipped and none failed, so neither
 * `success()` nor `failure()` holds (GitHub skips such a job unless its `if:` says otherwise, e.g. `always()`).
 */
export type ConditionStatus = JobStatus | 'skipped';

/**
 * Functions that need the world outside the expression: the contexts object of a step carries them under this key
 * (a symbol, so no context name can collide and no `toJSON`/key listing sees it). Without them (a job's `if:`,
 * `runs-on`, the matrix) the function is not available, as on GitHub.
 */
export const EXPRESSION_HOST = Symbol('eci-virtual.expression-host');

export interface ExpressionHost {
  /** `hashFiles(...patterns)` against the job's workspace (hash-files.ts). */
  hashFiles?(args: string[], src: string): string;
}

export interface EvalState {
  contexts: Record<string, unknown>;
  status: ConditionStatus;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function truthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === '') return false;
  if (typeof v === 'number') return v !== 0 && !Number.isNaN(v);
  return true;
}

function toNumber(v: unknown): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const t = v.trim();
    if (t === '') return 0;
    return /^0x[0-9a-f]+$/i.test(t) ? parseInt(t, 16) : Number(t);
  }
  return NaN;
}

/** GitHub's string form of a value: null → '', numbers without trailing zeros, objects as JSON. */
export function stringify(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean' || typeof v === 'number') return String(v);
  return JSON.stringify(v, null, 2);
}

function equals(a: unknown, b: unknown): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a.toLowerCase() === b.toLowerCase();
  if (typeof a === typeof b && (typeof a === 'object' || typeof a === 'undefined'))
    return a === b || (a == null && b == null);
  if (typeof a === 'object' && a !== null) return false;
  if (typeof b === 'object' && b !== null) return false;
  return toNumber(a) === toNumber(b);
}

function compare(op: string, a: unknown, b: unknown): boolean {
  let x: number | string;
  let y: number | string;
  if (typeof a === 'string' && typeof b === 'string') {
    x = a.toLowerCase();
    y = b.toLowerCase();
  } else {
    x = toNumber(a);
    y = toNumber(b);
    if (Number.isNaN(x) || Number.isNaN(y)) return false;
  }
  switch (op) {
    case '<':
      return x < y;
    case '<=':
      return x <= y;
    case '>':
      return x > y;
    default:
      return x >= y;
  }
}

function index(target: unknown, key: unknown): unknown {
  if (Array.isArray(target)) {
    // A filtered array applies the property to each element.
    if (typeof key === 'string' && FILTERED.has(target)) {
      return filtered(target.map((e) => index(e, key)).filter((v) => v !== null && v !== undefined));
    }
    const i = toNumber(key);
    return Number.isInteger(i) && i >= 0 && i < target.length ? target[i] : null;
  }
  if (isObject(target) && typeof key === 'string') {
    // Own keys only: names every JavaScript object inherits (`constructor`, `__proto__`) are not context data.
    if (Object.hasOwn(target, key)) return target[key];
    const found = Object.keys(target).find((k) => k.toLowerCase() === key.toLowerCase());
    return found === undefined ? null : target[found];
  }
  return null;
}

/** Arrays produced by `.*`: a property access then applies to each element. Kept aside so they stay plain arrays. */
const FILTERED = new WeakSet<unknown[]>();

function filtered(values: unknown[]): unknown[] {
  const out = [...values];
  FILTERED.add(out);
  return out;
}

function format(src: string, template: string, args: unknown[]): string {
  return template.replace(/\{\{|\}\}|\{(\d+)\}/g, (m, n: string | undefined) => {
    if (m === '{{') return '{';
    if (m === '}}') return '}';
    const i = Number(n);
    if (i >= args.length) throw new ExpressionError(`format() has no argument {${i}}`, src, 0);
    return stringify(args[i]);
  });
}

function call(src: string, name: string, args: unknown[], state: EvalState): unknown {
  const s = (i: number) => stringify(args[i]).toLowerCase();
  switch (name) {
    case 'success':
      return state.status === 'success';
    case 'failure':
      return state.status === 'failure';
    case 'cancelled':
      return state.status === 'cancelled';
    case 'always':
      return true;
    case 'contains':
      return Array.isArray(args[0]) ? args[0].some((e) => equals(e, args[1])) : s(0).includes(s(1));
    case 'startswith':
      return s(0).startsWith(s(1));
    case 'endswith':
      return s(0).endsWith(s(1));
    case 'format':
      return format(src, stringify(args[0]), args.slice(1));
    case 'join': {
      const sep = args.length > 1 ? stringify(args[1]) : ',';
      return Array.isArray(args[0]) ? args[0].map(stringify).join(sep) : stringify(args[0]);
    }
    case 'tojson':
      return JSON.stringify(args[0] ?? null, null, 2);
    case 'fromjson':
      try {
        return JSON.parse(stringify(args[0])) as unknown;
      } catch {
        throw new ExpressionError(`fromJSON() got invalid JSON "${stringify(args[0]).slice(0, 40)}"`, src, 0);
      }
    case 'hashfiles': {
      const host = (state.contexts as Record<symbol, ExpressionHost | undefined>)[EXPRESSION_HOST];
      if (!host?.hashFiles) throw new ExpressionError('hashFiles() is only available in steps', src, 0);
      if (!args.length) throw new ExpressionError('hashFiles() needs at least one pattern', src, 0);
      return host.hashFiles(args.map(stringify), src);
    }
    default:
      throw new ExpressionError(`unknown function ${name}()`, src, 0);
  }
}

function evalNode(src: string, n: Node, state: EvalState): unknown {
  switch (n.type) {
    case 'literal':
      return n.value;
    case 'context':
      return Object.hasOwn(state.contexts, n.name)
        ? state.contexts[n.name]
        : (() => {
            throw new ExpressionError(`unknown context "${n.name}"`, src, 0);
          })();
    case 'index':
      return index(evalNode(src, n.target, state), evalNode(src, n.key, state));
    case 'filter': {
      const t = evalNode(src, n.target, state);
      if (Array.isArray(t)) return filtered(t);
      if (isObject(t)) return filtered(Object.values(t));
      return filtered([]);
    }
    case 'not':
      return !truthy(evalNode(src, n.operand, state));
    case 'binary': {
      if (n.op === '&&') {
        const l = evalNode(src, n.left, state);
        return truthy(l) ? evalNode(src, n.right, state) : l;
      }
      if (n.op === '||') {
        const l = evalNode(src, n.left, state);
        return truthy(l) ? l : evalNode(src, n.right, state);
      }
      const l = evalNode(src, n.left, state);
      const r = evalNode(src, n.right, state);
      if (n.op === '==') return equals(l, r);
      if (n.op === '!=') return !equals(l, r);
      return compare(n.op, l, r);
    }
    case 'call':
      return call(
        src,
        n.name,
        n.args.map((a) => evalNode(src, a, state)),
        state,
      );
  }
}

export function evaluate(src: string, state: EvalState): unknown {
  return evalNode(src, parse(src), state);
}

function callsStatus(n: Node): boolean {
  switch (n.type) {
    case 'call':
      return ['success', 'failure', 'cancelled', 'always'].includes(n.name) || n.args.some(callsStatus);
    case 'binary':
      return callsStatus(n.left) || callsStatus(n.right);
    case 'not':
      return callsStatus(n.operand);
    case 'index':
      return callsStatus(n.target) || callsStatus(n.key);
    case 'filter':
      return callsStatus(n.target);
    default:
      return false;
  }
}

/** Replaces each `${{ expr }}` in `text` (strings inside the expression may contain `}}`). */
export function interpolate(text: string, state: EvalState): string {
  let out = '';
  let i = 0;
  for (;;) {
    const start = text.indexOf('${{', i);
    if (start < 0) return out + text.slice(i);
    out += text.slice(i, start);
    const end = findClose(text, start + 3);
    if (end < 0) throw new ExpressionError('unterminated ${{', text, start);
    out += stringify(evaluate(text.slice(start + 3, end).trim(), state));
    i = end + 2;
  }
}

function findClose(text: string, from: number): number {
  let inString = false;
  for (let j = from; j < text.length - 1; j++) {
    if (text[j] === "'") inString = !inString;
    else if (!inString && text[j] === '}' && text[j + 1] === '}') return j;
  }
  return -1;
}

/** A step or job `if:`: `${{ }}` optional; without a status function it means `success() && (…)`. */
export function condition(ifText: string | undefined, state: EvalState): boolean {
  let src = (ifText ?? '').trim();
  if (src === '') return state.status === 'success';
  const whole = /^\$\{\{([\s\S]*)\}\}$/.exec(src);
  if (whole && findClose(src, 3) === src.length - 2) src = whole[1]!.trim();
  const node = parse(src);
  const value = truthy(evalNode(src, node, state));
  return callsStatus(node) ? value : state.status === 'success' && value;
}
