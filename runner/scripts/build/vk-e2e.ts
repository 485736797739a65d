/**
 * Builds (or finds cached) the upstream virtual-kubelet e2e suite binary and prints its path:
 *   yarn tsx runner/scripts/build/vk-e2e.ts [build|path]
 * `path` prints where the binary is or will be without building anything.
 */
import { ensureVkE2eSuite, vkE2eSuitePath } from '../lib/vk-e2e-suite.js';

const arg = process.argv[2] ?? 'build';
if (arg === 'path') console.log(vkE2eSuitePath());
else if (arg === 'build') console.log(await ensureVkE2eSuite((msg) => console.error(msg)));
else {
  console.error('usage: vk-e2e.ts [build|path]');
  process.exit(2);
}
