/**
 * RPC form parameters as the emulator reads them: `Container.1.Port.2.Port=80` → `{Container: [{Port: [, {Port:
 * '80'}]}]}` (lists are 1-based on the wire), plus typed accessors that answer with the API's own error codes.
 */
import { ApiError, invalid, missing } from './api-error.js';

export type Tree = string | Tree[] | { [k: string]: Tree };

function toArrays(node: Tree): Tree {
  if (typeof node === 'string') return node;
  const entries = Object.entries(node).map(([k, v]) => [k, toArrays(v)] as const);
  if (entries.length && entries.every(([k]) => /^[1-9]\d*$/.test(k))) {
    const list: Tree[] = [];
    for (const [k, v] of entries.sort(([a], [b]) => Number(a) - Number(b))) list[Number(k) - 1] = v;
    if (list.length > entries.length)
      throw new ApiError(400, 'InvalidParameter', 'list indexes must be contiguous from 1');
    return list;
  }
  return Object.fromEntries(entries);
}

export function unflatten(form: URLSearchParams): Record<string, Tree> {
  const root: Record<string, Tree> = {};
  for (const [key, value] of form) {
    const parts = key.split('.');
    let node: Record<string, Tree> = root;
    parts.forEach((p, i) => {
      if (i === parts.length - 1) node[p] = value;
      else {
        const next = node[p];
        if (next === undefined || typeof next === 'string') node[p] = {};
        node = node[p] as Record<string, Tree>;
      }
    });
  }
  return toArrays(root) as Record<string, Tree>;
}

export class Params {
  constructor(
    readonly tree: Record<string, Tree>,
    private readonly path = '',
  ) {}

  private name(key: string): string {
    return this.path ? `${this.path}.${key}` : key;
  }

  str(key: string): string | undefined {
    const v = this.tree[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw invalid(this.name(key), 'expected a single value');
    return v;
  }

  required(key: string): string {
    const v = this.str(key);
    if (v === undefined || v === '') throw missing(this.name(key));
    return v;
  }

  int(key: string, min = -Infinity, max = Infinity): number | undefined {
    const v = this.str(key);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max)
      throw invalid(this.name(key), `expected an integer in [${min}, ${max}], got "${v}"`);
    return n;
  }

  num(key: string): number | undefined {
    const v = this.str(key);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw invalid(this.name(key), `expected a positive number, got "${v}"`);
    return n;
  }

  bool(key: string): boolean | undefined {
    const v = this.str(key);
    if (v === undefined) return undefined;
    if (v !== 'true' && v !== 'false') throw invalid(this.name(key), `expected true or false, got "${v}"`);
    return v === 'true';
  }

  /** A list of scalars (`Command.1`, `Command.2`). */
  strings(key: string): string[] {
    const v = this.tree[key];
    if (v === undefined) return [];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw invalid(this.name(key), 'expected a list');
    return v as string[];
  }

  /** A list of structures (`Container.1.Name`). */
  list(key: string): Params[] {
    const v = this.tree[key];
    if (v === undefined) return [];
    if (!Array.isArray(v)) throw invalid(this.name(key), 'expected a list');
    return v.map((x, i) => {
      if (typeof x !== 'object' || Array.isArray(x))
        throw invalid(`${this.name(key)}.${i + 1}`, 'expected a structure');
      return new Params(x, `${this.name(key)}.${i + 1}`);
    });
  }

  struct(key: string): Params | undefined {
    const v = this.tree[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'object' || Array.isArray(v)) throw invalid(this.name(key), 'expected a structure');
    return new Params(v, this.name(key));
  }

  /** A JSON-encoded string list such as `ContainerGroupIds=["eci-1","eci-2"]`. */
  jsonList(key: string, max: number): string[] | undefined {
    const v = this.str(key);
    if (v === undefined) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(v);
    } catch {
      throw invalid(this.name(key), 'expected a JSON array of strings');
    }
    if (!Array.isArray(parsed) || parsed.some((x) => typeof x !== 'string'))
      throw invalid(this.name(key), 'expected a JSON array of strings');
    if (parsed.length > max) throw invalid(this.name(key), `at most ${max} entries are allowed`);
    return parsed as string[];
  }

  tags(): { Key: string; Value: string }[] {
    return this.list('Tag').map((t) => ({ Key: t.required('Key'), Value: t.str('Value') ?? '' }));
  }
}
