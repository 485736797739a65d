/**
 * hashFiles() against a local tree, with expected values computed independently: sha256sum of each file, the hex
 * digests turned to bytes (xxd) and hashed again, in the order the runner's walk visits files (actions/toolkit
 * packages/glob/src/internal-globber.ts: depth first, directory entries in node's readdir order, which is byte order).
 */
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { InvalidInput } from '@eci-virtual/contract';
import { hashFiles } from '../workflow/expr/hash-files.js';
import { expressionEngine } from './from-workflow.js';
import { workingTreeFiles } from './checkout.js';
import { JobContexts } from './job-contexts.js';
import { CheckoutTree } from './workspace-files.js';

const WS = '/__w/app/app';
const FILES: Record<string, string> = {
  'package-lock.json': 'root lock\n',
  'a/package-lock.json': 'a lock\n',
  'a/b/c.js': 'console.log(1)\n',
  'a.txt': 'a text\n',
  '.hidden/package-lock.json': 'hidden lock\n',
  'vendor/x/package-lock.json': 'vendored lock\n',
  'node_modules/m/package-lock.json': 'never uploaded\n',
};

function tree(): string {
  const root = mkdtempSync(join(tmpdir(), 'eci-hash-'));
  for (const [f, text] of Object.entries(FILES)) {
    mkdirSync(dirname(join(root, f)), { recursive: true });
    writeFileSync(join(root, f), text);
  }
  return root;
}

/** The runner's result for these files, in this order, computed with coreutils and xxd. */
function expected(root: string, files: string[]): string {
  if (!files.length) return '';
  const script = 'for f in "$@"; do sha256sum "$f" | cut -c1-64; done | xxd -r -p | sha256sum | cut -c1-64';
  return execFileSync('sh', ['-c', script, 'sh', ...files], { cwd: root, encoding: 'utf8' }).trim();
}

describe('hashFiles()', () => {
  const root = tree();
  const at = (mounts: string[]) => new CheckoutTree(root, workingTreeFiles(root), mounts);
  const hash = (...args: string[]) => hashFiles(args, WS, at([WS]));

  it('hashes the matching files in the walk order, dot files included, what checkout leaves out excluded', () => {
    expect(hash('**/package-lock.json')).toBe(
      expected(root, [
        '.hidden/package-lock.json',
        'a/package-lock.json',
        'package-lock.json',
        'vendor/x/package-lock.json',
      ]),
    );
  });

  it('applies ! exclusions in order: the last pattern that matches decides', () => {
    const want = expected(root, ['.hidden/package-lock.json', 'a/package-lock.json', 'package-lock.json']);
    expect(hash('**/package-lock.json', '!vendor/**')).toBe(want);
    expect(hash('**/package-lock.json\n!vendor\n# a comment\n')).toBe(want);
    expect(hash('!vendor/**', '**/package-lock.json')).toBe(
      expected(root, [
        '.hidden/package-lock.json',
        'a/package-lock.json',
        'package-lock.json',
        'vendor/x/package-lock.json',
      ]),
    );
  });

  it('a matched directory brings everything below it, visited before its next sibling', () => {
    expect(hash('a')).toBe(expected(root, ['a/b/c.js', 'a/package-lock.json']));
    // a/ sorts before a.txt in the walk (by name: "a" < "a.txt"), unlike a plain sort of the paths.
    expect(hash('a*')).toBe(expected(root, ['a/b/c.js', 'a/package-lock.json', 'a.txt']));
    expect(hash('./a/?/[a-c].js', `${WS}/a.t[x]t`)).toBe(expected(root, ['a/b/c.js', 'a.txt']));
    // A trailing / matches directories only: what is below them, not the files next to them.
    expect(hash('a/*/')).toBe(expected(root, ['a/b/c.js']));
    expect(hash('a.txt/')).toBe('');
  });

  it('is empty when nothing matches, outside the workspace, or before any checkout', () => {
    expect(hash('nothing/**')).toBe('');
    expect(hash('/etc/**')).toBe('');
    expect(hashFiles(['**'], WS, at([]))).toBe('');
  });

  it('follows where checkout put the tree (with.path)', () => {
    const sub = new CheckoutTree(root, workingTreeFiles(root), [`${WS}/src`]);
    expect(hashFiles(['src/a/**'], WS, sub)).toBe(expected(root, ['a/b/c.js', 'a/package-lock.json']));
    expect(hashFiles(['a/**'], WS, sub)).toBe('');
  });

  it('refuses relative pathing and options it does not implement, as errors of the expression', () => {
    expect(() => hash('../x')).toThrow(/Relative pathing '\.' and '\.\.' is not allowed/);
    expect(() => hash('--follow-symbolic-links', '**')).toThrow(/not supported by eci-virtual run/);
    expect(() => hash('--bogus')).toThrow(InvalidInput);
  });

  it('hashes a symbolic link to a file by its target, skips one to a directory, fails on a broken one', () => {
    const r = tree();
    symlinkSync('a.txt', join(r, 'link.txt'));
    symlinkSync('a', join(r, 'linkdir'));
    const t = new CheckoutTree(r, workingTreeFiles(r), [WS]);
    expect(hashFiles(['link*'], WS, t)).toBe(expected(r, ['a.txt']));
    symlinkSync('missing', join(r, 'broken'));
    const t2 = new CheckoutTree(r, [...workingTreeFiles(r), 'broken'], [WS]);
    expect(() => hashFiles(['broken'], WS, t2)).toThrow(/broken symbolic link/);
  });
});

describe('hashFiles() in a job', () => {
  it('sees the working tree once a checkout step succeeded, and is refused outside steps', () => {
    const root = tree();
    const job = { id: 'b', name: 'b', workflow: 'w', services: [], env: {}, defaults: {}, steps: [] };
    const c = new JobContexts({ job, repository: 'acme/app', checkoutRoot: root }, expressionEngine);
    const expr = "${{ hashFiles('a/**') }}";
    expect(expressionEngine.interpolate(expr, c.get())).toBe('');
    c.recordStep({ name: 'checkout', checkout: {} }, { outputs: {}, outcome: 'success', conclusion: 'success' });
    expect(expressionEngine.interpolate(expr, c.get())).toBe(expected(root, ['a/b/c.js', 'a/package-lock.json']));
    expect(() => expressionEngine.condition("hashFiles('a/**') != ''", {}, 'success')).toThrow(
      /hashFiles\(\) is only available in steps/,
    );
  });
});
