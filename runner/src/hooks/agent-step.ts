/**
 * A hook step through the step agent of its container: start it on the agent's socket (on the shared workspace),
 * stream its output to the runner by byte offset — a dropped connection resumes, nothing lost or repeated — and take
 * the exit code only from the agent's record of the process. No Kubernetes exec: on ECI, ExecContainerCommand is
 * limited to 500 calls per minute per account, which one exec per step would spend across the whole fleet.
 *
 * Cancel: the runner stops a hook (job cancelled, `timeout-minutes`) the way its ProcessInvoker stops any process —
 * SIGINT, then SIGTERM 7.5 s later, then a kill 2.5 s after that (actions/runner src/Runner.Sdk/ProcessInvoker.cs
 * CancelAndKillProcessTree; ScriptHandler runs hooks with killProcessOnCancel: false). On the first of those signals
 * the hook asks the agent to cancel the step — SIGTERM to its process group, SIGKILL after CANCEL_GRACE_SECONDS — and
 * waits for the result, which the agent reports only once no process of the group is left, then exits with the
 * step's exit code. The grace fits inside the runner's 7.5 s; were the hook killed anyway, the agent still sends the
 * SIGKILL it was asked for.
 */
import { randomUUID } from 'node:crypto';
import type { HookContext } from './hook-context.js';
import type { HookStep } from './step-request.js';

export const CANCEL_GRACE_SECONDS = 5;

export async function agentStep(
  ctx: HookContext,
  container: string,
  step: HookStep,
  out: (chunk: Buffer) => void,
): Promise<number> {
  const client = ctx.agent(container);
  const id = `hook-${randomUUID()}`;
  const started = client.startStep({
    id,
    argv: step.argv,
    env: step.env,
    // The runner's env goes on top of the container's own (image ENV, `container.env`), as `docker exec -e` does.
    inheritEnv: true,
    ...(step.prependPath.length ? { prependPath: step.prependPath } : {}),
    ...(step.workingDir ? { workingDir: step.workingDir } : {}),
    ...(step.symlinks?.length ? { symlinks: step.symlinks } : {}),
  });
  let cancelling: Promise<unknown> | undefined;
  const cancel = (signal: NodeJS.Signals) => {
    if (cancelling) return;
    process.stderr.write(
      `eci-virtual: ${signal}: cancelling the step (SIGTERM to its processes, SIGKILL after ${CANCEL_GRACE_SECONDS} s)\n`,
    );
    cancelling = started.then(() => client.cancel(id, CANCEL_GRACE_SECONDS)).catch(() => undefined);
  };
  ctx.signals.on('SIGINT', cancel);
  ctx.signals.on('SIGTERM', cancel);
  try {
    await started;
    // Followed to the end even when cancelling: the agent ends the step, and its result says how.
    const result = await client.followOutput(id, 0, out);
    return result.exitCode;
  } finally {
    ctx.signals.off('SIGINT', cancel);
    ctx.signals.off('SIGTERM', cancel);
    client.close();
  }
}
