/**
 * Step round trip through the in-pod step agent, measured on this machine: from AgentClient.startStep until the
 * client holds the exit code (start, follow the output to its end, read the status), for 40 steps of `true`.
 * Baseline measured in the same run: Node spawning `true` itself and waiting for it.
 *   npx tsx runner/scripts/bench/agent-bench.ts [steps]
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { describeError } from '@eci-virtual/contract';
import { startLocalAgent } from '../../src/step-transport/agent/local-agent.js';
import { ensureAgent } from '../lib/agent-build.js';
import { percentile } from './stats.js';

const STEPS = Number(process.argv[2] ?? 40);
const WARMUP = 5;
const truePath = ['/usr/bin/true', '/bin/true'].find((p) => existsSync(p)) ?? 'true';

async function main(): Promise<void> {
  const binary = await ensureAgent((msg) => console.error(msg));
  const dir = mkdtempSync('/tmp/eci-agent-bench-');
  const agent = await startLocalAgent({ binary, dir });
  const client = agent.client();
  try {
    const viaAgent: number[] = [];
    for (let i = 0; i < WARMUP + STEPS; i++) {
      const id = `bench-${i}`;
      const t = performance.now();
      await client.startStep({ id, argv: [truePath], env: {} });
      const { exitCode } = await client.followOutput(id, 0, () => undefined);
      const dt = performance.now() - t;
      if (exitCode !== 0) throw new Error(`step ${id} exited ${exitCode}`);
      if (i >= WARMUP) viaAgent.push(dt);
    }
    const direct: number[] = [];
    for (let i = 0; i < WARMUP + STEPS; i++) {
      const t = performance.now();
      await new Promise<void>((resolve, reject) =>
        spawn(truePath, [], { stdio: 'ignore' })
          .on('exit', () => resolve())
          .on('error', reject),
      );
      if (i >= WARMUP) direct.push(performance.now() - t);
    }
    const p50 = percentile(viaAgent, 50);
    const base = percentile(direct, 50);
    console.log(`agent step p50 ${p50.toFixed(2)} ms`);
    console.log(
      `agent step p90 ${percentile(viaAgent, 90).toFixed(2)} ms · max ${Math.max(...viaAgent).toFixed(2)} ms · ` +
        `direct spawn p50 ${base.toFixed(2)} ms (agent/direct ${(p50 / base).toFixed(1)}×) · target ≤ 10 ms`,
    );
  } finally {
    client.close();
    await agent.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`agent bench failed: ${describeError(err)}`);
  process.exit(1);
});
