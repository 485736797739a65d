// Bundles the CLI into one ESM file (dist/eci-virtual.mjs) for images and fast test start-up.
import { build } from 'esbuild';
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
