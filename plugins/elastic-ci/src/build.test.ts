/** @jest-environment node */
// The publishable package as an app would install it: scripts/build.mjs into a fresh temporary directory, then the
// entry points `exports` names, and every bare import in the emitted JavaScript and declarations against what
// package.json declares (an import of an undeclared package works here in the monorepo and breaks in an app).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';

const pluginRoot = resolve(__dirname, '..');
const pkg = JSON.parse(readFileSync(join(pluginRoot, 'package.json'), 'utf8')) as {
  type?: string;
  main?: string;
  module?: string;
  types?: string;
  exports: Record<string, string | Record<string, string>>;
  typesVersions?: Record<string, Record<string, string[]>>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
};
const declared = new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})]);

// Only ever this directory, made right here, is removed.
let tempDir: string | undefined;
let outdir = '';

beforeAll(async () => {
  tempDir = mkdtempSync(join(tmpdir(), 'elastic-ci-build-'));
  outdir = join(tempDir, 'dist');
  await promisify(execFile)(process.execPath, [join(pluginRoot, 'scripts/build.mjs'), '--outdir', outdir], {
    cwd: pluginRoot,
    maxBuffer: 16 * 1024 * 1024,
  });
}, 120_000);

afterAll(() => {
  if (tempDir) rmSync(tempDir, { recursive: true, force: true });
});

/** A `./dist/...` path of package.json, in the temporary build. */
function built(packagePath: string): string {
  expect(packagePath).toMatch(/^\.\/dist\//);
  return join(outdir, packagePath.slice('./dist/'.length));
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** Every module specifier of a file: static and dynamic imports, re-exports, `import("…")` types, `/// <reference types>`. */
function specifiers(path: string): string[] {
  const info = ts.preProcessFile(readFileSync(path, 'utf8'), true, true);
  return [...info.importedFiles, ...info.typeReferenceDirectives].map((ref) => ref.fileName);
}

/** `@scope/name/deep/path` → `@scope/name`, `name/deep` → `name`. */
function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** The names an ES module exports (`export { a, b as c }`, `export default`, `export const …`). */
function exportedNames(path: string): string[] {
  const source = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, false);
  const names: string[] = [];
  for (const statement of source.statements) {
    if (ts.isExportDeclaration(statement) && statement.exportClause && ts.isNamedExports(statement.exportClause)) {
      names.push(...statement.exportClause.elements.map((element) => element.name.text));
    } else if (ts.isExportAssignment(statement)) {
      names.push('default');
    } else if (ts.canHaveModifiers(statement)) {
      const modifiers = ts.getModifiers(statement) ?? [];
      if (!modifiers.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) continue;
      if (modifiers.some((m) => m.kind === ts.SyntaxKind.DefaultKeyword)) names.push('default');
      else if (ts.isVariableStatement(statement)) {
        for (const declaration of statement.declarationList.declarations) {
          if (ts.isIdentifier(declaration.name)) names.push(declaration.name.text);
        }
      } else if ('name' in statement && statement.name && ts.isIdentifier(statement.name as ts.Node)) {
        names.push((statement.name as ts.Identifier).text);
      }
    }
  }
  return names.sort();
}

describe('published build (scripts/build.mjs)', () => {
  it('is an ES module package whose exports `.` and `./alpha` have JavaScript and declarations', () => {
    // No `"type": "module"`, like Backstage's own packages: with it, bundlers (webpack 5, esbuild) apply Node's
    // strict interop to `import Chip from '@material-ui/core/Chip'` (CommonJS) and hand over the module object
    // instead of the component, and the tab fails with React error #130 (seen in the browser test).
    expect(pkg.type).toBeUndefined();
    expect(Object.keys(pkg.exports).sort()).toEqual(['.', './alpha', './package.json']);
    for (const entry of ['.', './alpha']) {
      const conditions = pkg.exports[entry] as Record<string, string>;
      expect(Object.keys(conditions)[0]).toBe('types'); // `types` must come first to be seen
      expect(conditions.types).toMatch(/^\.\/dist\/types\/.+\.d\.ts$/);
      expect(conditions.import).toMatch(/^\.\/dist\/[^/]+\.js$/);
      expect(statSync(built(conditions.types!)).isFile()).toBe(true);
      expect(statSync(built(conditions.import!)).isFile()).toBe(true);
    }
    expect(pkg.main).toBe((pkg.exports['.'] as Record<string, string>).import);
    expect(statSync(built(pkg.types!)).isFile()).toBe(true);
    expect(pkg.typesVersions?.['*']?.alpha).toEqual([
      (pkg.exports['./alpha'] as Record<string, string>).types!.slice(2),
    ]);
  });

  it('emits ESM entry points with the public API', () => {
    const index = built((pkg.exports['.'] as Record<string, string>).import!);
    const alpha = built((pkg.exports['./alpha'] as Record<string, string>).import!);
    for (const file of [index, alpha]) {
      const code = readFileSync(file, 'utf8');
      expect(code).not.toMatch(/\brequire\(|\bmodule\.exports\b/);
    }
    expect(exportedNames(index)).toEqual([
      'ElasticCiClient',
      'ElasticCiInvalidResponseError',
      'ElasticCiNetworkError',
      'EntityElasticCiContent',
      'GITHUB_PROJECT_SLUG_ANNOTATION',
      'elasticCiApiRef',
      'elasticCiPlugin',
      'getProjectSlug',
      'isElasticCiAvailable',
    ]);
    expect(exportedNames(alpha)).toEqual(['default', 'elasticCiApi', 'elasticCiEntityContent']);

    const indexTypes = built((pkg.exports['.'] as Record<string, string>).types!);
    const alphaTypes = built((pkg.exports['./alpha'] as Record<string, string>).types!);
    expect(readFileSync(indexTypes, 'utf8')).toContain('ElasticCiNetworkError');
    expect(readFileSync(indexTypes, 'utf8')).toContain('ElasticCiContentProps');
    expect(exportedNames(alphaTypes)).toEqual(['default', 'elasticCiApi', 'elasticCiEntityContent']);
  });

  it('bundles nothing from node_modules, and imports only declared dependencies and peers', () => {
    const files = filesUnder(outdir).filter((file) => /\.(js|d\.ts)$/.test(file));
    expect(files.length).toBeGreaterThan(4);
    const undeclared = new Set<string>();
    const seen = new Set<string>();
    for (const file of files) {
      if (file.endsWith('.js')) expect(readFileSync(file, 'utf8')).not.toMatch(/^\/\/ .*node_modules\//m);
      for (const specifier of specifiers(file)) {
        if (specifier.startsWith('./') || specifier.startsWith('../')) continue;
        seen.add(specifier);
        if (!declared.has(packageName(specifier))) undeclared.add(`${relative(outdir, file)}: ${specifier}`);
      }
    }
    expect([...undeclared]).toEqual([]);
    // The scan sees what it must: type-only imports in declarations, deep paths, the JSX runtime.
    expect(seen).toContain('@backstage/filter-predicates');
    expect(seen).toContain('@material-ui/core/Typography');
    expect(seen).toContain('react/jsx-runtime');

    // Each bare import of the JavaScript also resolves from the package (a deep path that does not exist fails).
    const requireFromPlugin = createRequire(join(pluginRoot, 'package.json'));
    const unresolved = [...seen].filter((specifier) => {
      try {
        requireFromPlugin.resolve(specifier);
        return false;
      } catch {
        return true;
      }
    });
    expect(unresolved).toEqual([]);
  });
});
