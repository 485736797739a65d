// Bundles one composite action's entry point (src/main.ts) into dist/index.cjs: one CommonJS file that `node` runs
// in the job container, no node_modules needed (Node >= 18, the floor of the runner's own node and our images).
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const action = process.argv[2];
if (!action) throw new Error('usage: node actions/bundle.mjs <action directory name>');
const dir = fileURLToPath(new URL(`./${action}/`, import.meta.url));
await build({
  absWorkingDir: dir,
  entryPoints: ['src/main.ts'],
  outfile: 'dist/index.cjs',
  bundle: true,
  platform: 'node',
  target: 'node18',
  format: 'cjs',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
});
