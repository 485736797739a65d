/**
 * Builds (or finds cached) the in-pod step agent and prints its path:
 *   npx tsx runner/scripts/build/agent.ts [path|check]
 * `check` runs `go vet` and `go test` in runner/agent first.
 */
import { describeError } from '@eci-virtual/contract';
import { checkAgentSources, ensureAgent } from '../lib/agent-build.js';

try {
  if (process.argv[2] === 'check') await checkAgentSources();
  console.log(await ensureAgent((msg) => console.error(msg)));
} catch (err) {
  console.error(describeError(err));
  process.exit(1);
}
