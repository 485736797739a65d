/**
 * `hashFiles(pattern, …)` as the GitHub runner computes it (actions/runner src/Runner.Worker/Expressions/
 * HashFilesFunction.cs, which runs src/Misc/expressionFunc/hashFiles/src/hashFiles.ts, which globs with
 * @actions/glob 0.7.0 as its package-lock.json pins — internal-globber, internal-pattern, internal-pattern-helper):
 *
 * - the arguments are joined with newlines, and every line is one pattern (trimmed; empty and `#` lines skipped);
 *   a first argument starting with `--` is an option (`--follow-symbolic-links`, which this one refuses);
 * - a leading `!` negates (repeatable); a relative pattern or a leading `./` is rooted at `github.workspace`; `.`
 *   (but as the first segment) and `..` segments are invalid; a trailing `/` matches directories only;
 * - minimatch with dot, no braces, no extglobs, case-sensitive: `*`, `?`, `[…]`, `**` for any number of segments;
 * - a pattern matching a directory also matches everything below it (implicit descendants); one ending in `/`
 *   matches directories only (so `dir/` hashes the files below dir, `file/` nothing);
 * - the last pattern that matches a path decides: included, or excluded by a `!` pattern;
 * - the walk starts at each include pattern's literal prefix, depth first, each directory's entries in byte order
 *   (node's readdir on Linux), symbolic links not followed;
 * - files outside the workspace and directories are skipped; the result is the sha256 (hex) of the concatenated
 *   sha256 digests of the matched files' contents, in walk order; '' when nothing matched.
 *
 * Pure: the file system is a FileTree (local-run/workspace-files.ts maps the pod's workspace onto the local checkout).
 */
import { createHash } from 'node:crypto';
import { ExpressionError } from './errors.js';

export interface FileTree {
  /** `dir` for a directory (not a symbolic link to one), `file` for anything else that exists, else undefined. */
  kind(path: string): 'dir' | 'file' | undefined;
  /** The entry names of directory `path`. */
  list(path: string): string[];
  /** The sha256 digest of the content at `path` (links followed); undefined when that is a directory. */
  digest(path: string): Buffer | undefined;
}

const DIR = 1;
const FILE = 2;

interface Pattern {
  negate: boolean;
  /** `**`, or a matcher of one path segment. */
  segments: ('**' | RegExp)[];
  /** The literal directories before the first glob segment: where the walk starts. */
  searchPath: string;
  dirOnly: boolean;
}

/** The literal text of a segment, or undefined when it holds a glob (`*`, `?`, a set of more than one character). */
function literalOf(segment: string): string | undefined {
  let out = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]!;
    if (c === '\\' && i + 1 < segment.length) {
      out += segment[++i];
    } else if (c === '*' || c === '?') {
      return undefined;
    } else if (c === '[') {
      const close = segment.indexOf(']', i + 2);
      const set = close < 0 ? undefined : segment.slice(i + 1, close).replace(/\\(.)/g, '$1');
      if (set !== undefined && set.length > 1) return undefined;
      if (set !== undefined && set.length === 1) {
        out += set;
        i = close;
        continue;
      }
      out += c;
    } else out += c;
  }
  return out;
}

const ANY_SEGMENT = /^/;
const split = (path: string) => path.split('/').filter(Boolean);
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** One segment as a RegExp: `*` any run, `?` one character, `[…]` a set (`!`/`^` negates), `\` escapes. */
function segmentRegExp(segment: string): RegExp {
  let re = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]!;
    if (c === '\\' && i + 1 < segment.length) re += escapeRe(segment[++i]!);
    else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const close = segment.indexOf(']', i + 2);
      if (close < 0) {
        re += '\\[';
        continue;
      }
      let body = segment.slice(i + 1, close);
      const negated = body.startsWith('!') || body.startsWith('^');
      if (negated) body = body.slice(1);
      re += `[${negated ? '^' : ''}${body.replace(/\\(.)/g, '$1').replace(/[\\\]^]/g, '\\$&')}]`;
      i = close;
    } else re += escapeRe(c);
  }
  return new RegExp(`^${re}$`, 'u');
}

function parsePattern(line: string, workspace: string): Pattern[] {
  let text = line;
  let negate = false;
  while (text.startsWith('!')) {
    negate = !negate;
    text = text.slice(1).trim();
  }
  if (!text) return [];
  const parts = text.split(/\/+/);
  parts.forEach((p, i) => {
    const lit = literalOf(p);
    if ((lit === '.' && i > 0) || lit === '..')
      throw new Error(`Invalid pattern '${text}'. Relative pathing '.' and '..' is not allowed.`);
  });
  const dirOnly = text.length > 1 && text.endsWith('/');
  let rel = parts.filter(Boolean);
  const absolute = text.startsWith('/');
  const root = absolute ? [] : split(workspace);
  if (!absolute && literalOf(rel[0] ?? '') === '.') rel = rel.slice(1);
  const segments: Pattern['segments'] = [
    ...root.map((r) => new RegExp(`^${escapeRe(r)}$`, 'u')),
    ...rel.map((p) => (p === '**' ? ('**' as const) : segmentRegExp(p))),
  ];
  const literal: string[] = [...root];
  for (const p of rel) {
    const lit = literalOf(p);
    if (lit === undefined || p === '**') break;
    literal.push(lit);
  }
  const searchPath = `/${literal.join('/')}`;
  const base = { negate, segments, searchPath, dirOnly };
  // Implicit descendants: what is below a match (at least one segment below: @actions/glob 0.7 matches its implicit
  // `/**` pattern without the trailing slash that lets `**` match nothing, so `a/*/` does not reach the files in a/).
  return segments[segments.length - 1] === '**' && !dirOnly
    ? [base]
    : [base, { negate, segments: [...segments, ANY_SEGMENT, '**'], searchPath, dirOnly: false }];
}

/** Whether `path` (segments) matches `segs` from the given positions; `partial` also accepts a path that ends early. */
function matchFrom(path: string[], pi: number, segs: Pattern['segments'], si: number, partial: boolean): boolean {
  for (; si < segs.length; si++, pi++) {
    const s = segs[si]!;
    if (s === '**') {
      for (let k = pi; k <= path.length; k++) if (matchFrom(path, k, segs, si + 1, partial)) return true;
      return partial && pi >= path.length;
    }
    if (pi >= path.length) return partial;
    if (!s.test(path[pi]!)) return false;
  }
  return pi >= path.length;
}

function matchKind(patterns: Pattern[], path: string): number {
  const segs = split(path);
  let kind = 0;
  for (const p of patterns) {
    const hit = matchFrom(segs, 0, p.segments, 0, false) ? (p.dirOnly ? DIR : DIR | FILE) : 0;
    kind = p.negate ? kind & ~hit : kind | hit;
  }
  return kind;
}

const partialMatch = (patterns: Pattern[], path: string) =>
  patterns.some((p) => !p.negate && matchFrom(split(path), 0, p.segments, 0, true));

/** The search paths: each include pattern's literal prefix, in order, without duplicates or descendants of another. */
function searchPaths(patterns: Pattern[]): string[] {
  const all = new Set(patterns.filter((p) => !p.negate).map((p) => p.searchPath));
  const out: string[] = [];
  for (const p of patterns) {
    if (p.negate || out.includes(p.searchPath)) continue;
    const parts = split(p.searchPath);
    const hasAncestor = parts.some((_, i) => all.has(`/${parts.slice(0, i).join('/')}`));
    if (!hasAncestor) out.push(p.searchPath);
  }
  return out;
}

const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** The files the patterns match, in the runner's walk order. Throws on an invalid pattern. */
export function globFiles(lines: string[], workspace: string, tree: FileTree): string[] {
  const patterns = lines
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .flatMap((l) => parsePattern(l, workspace));
  const stack = searchPaths(patterns)
    .filter((p) => tree.kind(p) !== undefined)
    .reverse();
  const out: string[] = [];
  while (stack.length) {
    const path = stack.pop()!;
    const kind = matchKind(patterns, path);
    if (!kind && !partialMatch(patterns, path)) continue;
    const what = tree.kind(path);
    if (what === 'dir') {
      const children = tree
        .list(path)
        .sort(byteOrder)
        .map((n) => (path === '/' ? `/${n}` : `${path}/${n}`));
      stack.push(...children.reverse());
    } else if (what === 'file' && kind & FILE) out.push(path);
  }
  return out;
}

/** `hashFiles(...args)` over `tree`, rooted at `workspace` (github.workspace). */
export function hashFiles(args: string[], workspace: string, tree: FileTree, src = 'hashFiles'): string {
  if (args[0]?.startsWith('--')) {
    const option = args[0];
    throw new ExpressionError(
      option.toLowerCase() === '--follow-symbolic-links'
        ? 'hashFiles(--follow-symbolic-links, …) is not supported by eci-virtual run: symbolic links are not followed'
        : `Invalid glob option ${option}, available option: '--follow-symbolic-links'.`,
      src,
      0,
    );
  }
  const ws = `/${split(workspace).join('/')}`;
  let files: string[];
  try {
    files = globFiles(args.join('\n').split('\n'), ws, tree);
  } catch (err) {
    throw new ExpressionError(`hashFiles('${args.join(', ')}') failed: ${(err as Error).message}`, src, 0);
  }
  const result = createHash('sha256');
  let count = 0;
  for (const file of files) {
    if (!file.startsWith(`${ws}/`)) continue;
    let digest: Buffer | undefined;
    try {
      digest = tree.digest(file);
    } catch (err) {
      throw new ExpressionError(`hashFiles('${args.join(', ')}') failed: ${(err as Error).message}`, src, 0);
    }
    if (!digest) continue;
    result.update(digest);
    count++;
  }
  return count ? result.digest('hex') : '';
}
