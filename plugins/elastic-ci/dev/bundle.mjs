// Bundles the dev page (dev/index.tsx) into a directory with index.html + app.js that any static server — or the
// browser helper's serveDevPage — can serve.
//   node plugins/elastic-ci/dev/bundle.mjs [outdir]     (default plugins/elastic-ci/.local/dev-page)
import { build } from 'esbuild';
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pluginRoot = fileURLToPath(new URL('..', import.meta.url));
export const defaultOutdir = resolve(pluginRoot, '.local/dev-page');

const html = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Elastic CI — dev page</title>
    <link rel="icon" href="data:," />
  </head>
  <body style="margin: 0">
    <div id="root" style="padding: 24px"></div>
    <script src="app.js"></script>
  </body>
</html>
`;

/** Bundles the page into `outdir` and returns that directory. */
export async function bundleDevPage({ outdir = defaultOutdir, production = true } = {}) {
  mkdirSync(outdir, { recursive: true });
  await build({
    absWorkingDir: pluginRoot,
    entryPoints: ['dev/index.tsx'],
    outfile: resolve(outdir, 'app.js'),
    bundle: true,
    // iife: works from file:// too, no module loading rules.
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    jsx: 'automatic',
    minify: production,
    sourcemap: 'linked',
    loader: { '.svg': 'dataurl', '.png': 'dataurl', '.woff': 'dataurl', '.woff2': 'dataurl' },
    define: {
      'process.env.APP_CONFIG': '[]',
      'process.env.NODE_ENV': JSON.stringify(production ? 'production' : 'development'),
      global: 'globalThis',
    },
    legalComments: 'none',
    logLevel: 'warning',
  });
  writeFileSync(resolve(outdir, 'index.html'), html);
  return outdir;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outdir = await bundleDevPage({ outdir: process.argv[2] ? resolve(process.argv[2]) : defaultOutdir });
  console.log(`dev page: ${outdir}/index.html`);
}
