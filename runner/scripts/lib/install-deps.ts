/** Runs install-deps.sh (idempotent; ~0.3 s when everything is installed) so the two README commands work on a fresh machine. */
import { join } from 'node:path';
import { $ } from 'zx';
import { scriptsDir } from './paths.js';

export async function installDeps(): Promise<void> {
  await $({ stdio: ['ignore', 'ignore', 'inherit'] })`bash ${join(scriptsDir, 'install-deps.sh')}`;
}
