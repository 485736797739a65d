// Bundles a composite action's entry point (src/main.ts) into one CommonJS file that `node` runs in the job container,
// no node_modules needed (Node >= 18, the floor of the runner's own node and our images). The bundles are committed
// (actions/<action>/dist/index.cjs): `uses: <org>/eci-virtual/actions/<action>@<ref>` runs them from a plain checkout.
// The output depends only on the sources and the locked esbuild — no paths, no timestamps — so a fresh build of
// unchanged sources is byte-identical to the committed file (actions/bundles.test.ts checks that).
//   node actions/bundle.mjs                       every action → its dist/index.cjs        (yarn build:actions)
//   node actions/bundle.mjs placement ...         these actions → their dist/index.cjs
//   node actions/bundle.mjs placement --outfile F one action → F
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const actionsDir = fileURLToPath(new URL('.', import.meta.url));

/** The actions: directories of actions/ with an action.yml and a src/main.ts, sorted. */
export function listActions() {
  return readdirSync(actionsDir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(actionsDir, e.name, 'action.yml')))
    .filter((e) => existsSync(join(actionsDir, e.name, 'src', 'main.ts')))
    .map((e) => e.name)
    .sort();
}

/** The committed bundle that the action's action.yml runs. */
export function committedBundle(action) {
  return join(actionsDir, action, 'dist', 'index.cjs');
}

/** Builds `action` into `outfile` (default: its committed bundle) and returns the file's path. */
export async function bundleAction(action, outfile = committedBundle(action)) {
  if (!listActions().includes(action)) throw new Error(`no action "${action}" under ${actionsDir}`);
  // Loaded here, so that listing the actions does not need esbuild.
  const { build } = await import('esbuild');
  const out = resolve(outfile);
  await build({
    absWorkingDir: join(actionsDir, action),
    entryPoints: ['src/main.ts'],
    outfile: out,
    bundle: true,
    platform: 'node',
    target: 'node18',
    format: 'cjs',
    minify: true,
    legalComments: 'none',
    // Nothing that would tie the file to this checkout or this moment.
    sourcemap: false,
    metafile: false,
    logLevel: 'warning',
  });
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--outfile');
  const outfile = at >= 0 ? args[at + 1] : undefined;
  if (at >= 0) args.splice(at, 2);
  if (at >= 0 && (!outfile || args.length !== 1))
    throw new Error('usage: node actions/bundle.mjs <action> --outfile <file>  (one action)');
  const actions = args.length ? args : listActions();
  for (const action of actions) await bundleAction(action, outfile);
}
