/**
 * One hook step — argv, env, PATH additions, working directory, links to create first — run in a container of the
 * job pod, its output streamed to the runner and its exit code returned. Through the container's step agent when it
 * serves one (agent-step.ts: no Kubernetes exec, no shell needed); otherwise, for pods of an older controller,
 * through one Kubernetes exec with a shell wrapper (exec-fallback.ts).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PATHS } from '@eci-virtual/contract';
import { agentStep } from './agent-step.js';
import { execFallbackStep } from './exec-fallback.js';
import type { HookContext } from './hook-context.js';
import type { HookStep, StepTarget } from './step-request.js';

export type { HookStep, StepTarget } from './step-request.js';

export async function runHookStep(
  ctx: HookContext,
  target: StepTarget,
  step: HookStep,
  out: (chunk: Buffer) => void = (c) => ctx.out(c),
): Promise<number> {
  for (const dir of [step.workingDir, ...(step.symlinks ?? []).map((l) => l.target)])
    if (dir) ensureWorkspaceDir(ctx.workDir, dir);
  return target.agent
    ? agentStep(ctx, target.container, step, out)
    : execFallbackStep(ctx, target.container, step, out);
}

/**
 * A directory on the workspace (`/__w/...`) is created from the runner's side, where the same emptyDir is its work
 * folder: the runner creates a step's working directory and mount sources itself, but a step must not fail because
 * one is missing. Elsewhere it is the image's business; a failure here is left for the step to report.
 */
export function ensureWorkspaceDir(workDir: string, dir: string): void {
  if (dir !== PATHS.workspace && !dir.startsWith(`${PATHS.workspace}/`)) return;
  const local = join(workDir, dir.slice(PATHS.workspace.length));
  if (local !== workDir && !local.startsWith(`${workDir}/`)) return; // `..` out of the workspace
  try {
    mkdirSync(local, { recursive: true });
  } catch {
    // the agent names the directory if the step cannot use it
  }
}
