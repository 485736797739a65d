/** Runs one hook step in a container of the job pod through the durable step transport; returns the exit code. */
import { randomUUID } from 'node:crypto';
import { PATHS } from '@eci-virtual/contract';
import { runStep } from '../step-transport/step-runner.js';
import type { HookContext } from './hook-context.js';

export async function execStep(ctx: HookContext, container: string, wrapper: string): Promise<number> {
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const run = await runStep(
      ctx.exec,
      { pod: ctx.pod, container, dir: `${PATHS.steps}/${randomUUID()}` },
      { wrapper, onOutput: (chunk) => ctx.out(chunk), signal: abort.signal },
    );
    return run.exitCode;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
