/** Builds the CLI bundle (runner/dist/eci-virtual.mjs) that tests, the demo and images run. */
import { join } from 'node:path';
import { $ } from 'zx';
import { repoRoot } from './paths.js';

export async function buildBundle(): Promise<void> {
  await $({ cwd: repoRoot, quiet: true })`node ${join(repoRoot, 'runner', 'scripts', 'bundle.mjs')}`;
}
