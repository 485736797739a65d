// Bundles the CLI into one ESM file (dist/eci-virtual.mjs) for images and fast test start-up.
import { build } from 'esbuild';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
await build({
  absWorkingDir: root,
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/eci-virtual.mjs',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: 'linked',
  legalComments: 'none',
  // Whitespace only (names kept for stack traces): V8 holds the whole source of the bundle for as long as the process
  // runs, so every byte of it is resident (~9.8 MB unminified, ~5.3 MB without the whitespace and comments).
  minifyWhitespace: true,
  charset: 'ascii',
  // Some dependencies are CommonJS and call require(); give the ESM bundle one.
  banner: {
    js: "import { createRequire as __ecivCreateRequire } from 'node:module'; const require = __ecivCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
});

// V8 keeps a script's source one byte per character only while every character is Latin-1; one character beyond
// U+00FF (e.g. in a String.raw template esbuild cannot escape) stores the whole bundle two bytes per character.
const nonLatin1 = [
  ...new Set(readFileSync(join(root, 'dist/eci-virtual.mjs'), 'utf8').match(/[\u0100-\u{10ffff}]/gu) ?? []),
];
if (nonLatin1.length)
  throw new Error(
    `dist/eci-virtual.mjs has characters beyond Latin-1 (${nonLatin1.join(' ')}), so V8 would hold its source two bytes ` +
      'per character: write them as ASCII (or escapes) in the source, e.g. in String.raw templates',
  );

// The container hooks for the official runner: one CommonJS file that the runner starts with its own node
// (node 20 today; node 18 kept as the floor so older runner images and test images work too).
await build({
  absWorkingDir: root,
  entryPoints: ['src/hooks/index.ts'],
  outfile: 'dist/hooks/index.js',
  bundle: true,
  platform: 'node',
  target: 'node18',
  format: 'cjs',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
});
// The runner workspace is ESM ("type": "module"); mark the hooks folder CommonJS so `node index.js` works in place.
writeFileSync(join(root, 'dist/hooks/package.json'), '{ "type": "commonjs" }\n');
