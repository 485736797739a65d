// Publishable build: ESM JavaScript in dist/ (esbuild; every dependency and peer stays an import for the app's
// bundler to resolve and dedupe) and declarations in dist/types (tsc). The entry tab loads lazily, so its code is a
// separate chunk.
//   node scripts/build.mjs                   replaces plugins/elastic-ci/dist
//   node scripts/build.mjs --outdir <dir>    builds into <dir>, which must be empty or not exist yet (never deleted:
//                                            src/build.test.ts passes a fresh temporary directory)
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

const outdirFlag = process.argv.indexOf('--outdir');
let outdir;
if (outdirFlag === -1) {
  // Only ever this one literal path is removed.
  rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
  outdir = join(root, 'dist');
} else {
  const value = process.argv[outdirFlag + 1];
  if (!value) {
    console.error('build: --outdir needs a directory');
    process.exit(2);
  }
  outdir = resolve(value);
  if (existsSync(outdir) && readdirSync(outdir).length > 0) {
    console.error(`build: ${outdir} is not empty; give an empty or new directory (nothing is deleted)`);
    process.exit(2);
  }
}

await build({
  absWorkingDir: root,
  entryPoints: { index: 'src/index.ts', alpha: 'src/alpha.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  jsx: 'automatic',
  // Every bare import stays an import (nothing from node_modules is bundled), so dist shows exactly what the package
  // needs at run time; src/build.test.ts checks that each one is a declared dependency or peer.
  packages: 'external',
  sourcemap: 'linked',
  chunkNames: 'chunks/[name]-[hash]',
  legalComments: 'none',
  logLevel: 'warning',
});

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const types = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', join(outdir, 'types')], {
  cwd: root,
  stdio: 'inherit',
});
if (types.status !== 0) process.exit(types.status ?? 1);
