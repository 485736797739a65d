// Bundles the CLI into one ESM file (dist/eci-virtual.mjs) for images and fast test start-up.
import { build } from 'esbuild';
import { writeFileSync } from 'node:fs';
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
  // Some dependencies are CommonJS and call require(); give the ESM bundle one.
  banner: {
    js: "import { createRequire as __ecivCreateRequire } from 'node:module'; const require = __ecivCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
});

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
