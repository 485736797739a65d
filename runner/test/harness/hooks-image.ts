/**
 * The test variant of the hooks image: our real hooks bundle and step agent plus the runner stand-in (test-only),
 * built from the current source on every run (cached by content hash), pushed to the local registry and pulled into
 * the engine: job pods use it `IfNotPresent` under a fixed tag, so an engine still holding an older build would
 * otherwise keep running old hooks.
 */
import { join } from 'node:path';
import { build } from 'esbuild';
import { hooksRecipe } from '../../scripts/images/hooks.js';
import { ensureAgent } from '../../scripts/lib/agent-build.js';
import { ensurePulled } from '../../scripts/lib/engine-pull.js';
import { ensureBuilt, ensurePushed } from '../../scripts/lib/image-cache.js';
import { repoRoot } from '../../scripts/lib/paths.js';

const dist = join(repoRoot, 'runner', 'dist');

export async function ensureTestHooksImage(log: (msg: string) => void = () => undefined): Promise<string> {
  await build({
    entryPoints: [join(repoRoot, 'runner', 'test', 'runner-stand-in', 'stand-in.ts')],
    outfile: join(dist, 'hooks', 'runner-stand-in.js'),
    bundle: true,
    platform: 'node',
    target: 'node18',
    format: 'cjs',
    logLevel: 'warning',
  });
  const recipe = hooksRecipe({
    name: 'hooksTest',
    repository: 'eci-virtual/hooks-test',
    tag: 'latest',
    files: ['index.js', 'package.json', 'runner-stand-in.js'].map((f) => join(dist, 'hooks', f)),
    agent: await ensureAgent(log),
  });
  const image = await ensureBuilt(recipe, log);
  await ensurePushed(image, log);
  await ensurePulled(image, log);
  return image.reference;
}
