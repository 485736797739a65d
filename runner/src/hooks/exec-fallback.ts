/**
 * FALLBACK for pods without the step agent (created by a controller older than the agent): a hook step as ONE
 * Kubernetes exec through the durable step transport (step-transport/step-runner.ts), running a shell wrapper — so
 * the target image needs /bin/sh, and on ECI every step spends ExecContainerCommand quota (500 calls/min per
 * account). Pods of this controller serve an agent in every step-running container and never come here.
 */
import { randomUUID } from 'node:crypto';
import { Internal, PATHS, shellQuote } from '@eci-virtual/contract';
import { renderEnv } from '../pod-assembly/shell-env.js';
import { killStep, runStep } from '../step-transport/step-runner.js';
import type { HookContext } from './hook-context.js';
import type { HookStep } from './step-request.js';

export async function execFallbackStep(
  ctx: HookContext,
  container: string,
  step: HookStep,
  out: (chunk: Buffer) => void,
): Promise<number> {
  const exec = await ctx.exec();
  const target = { pod: ctx.pod, container, dir: `${PATHS.steps}/${randomUUID()}` };
  const abort = new AbortController();
  const stop = () => abort.abort();
  ctx.signals.on('SIGINT', stop);
  ctx.signals.on('SIGTERM', stop);
  try {
    const run = await runStep(exec, target, { wrapper: stepWrapper(step), onOutput: out, signal: abort.signal });
    return run.exitCode;
  } catch (err) {
    if (abort.signal.aborted) await killStep(exec, target);
    throw err;
  } finally {
    ctx.signals.off('SIGINT', stop);
    ctx.signals.off('SIGTERM', stop);
  }
}

/**
 * The shell wrapper of one fallback step: links, working directory, environment (single-quoted, so any value is
 * safe), PATH additions (newest first, as the runner sends them), then `exec` of the argv.
 */
export function stepWrapper(step: HookStep): string {
  const lines = ['set -e'];
  for (const l of step.symlinks ?? [])
    lines.push(
      `mkdir -p "$(dirname ${shellQuote(l.path)})" ${shellQuote(l.target)}`,
      `ln -sfn ${shellQuote(l.target)} ${shellQuote(l.path)}`,
    );
  if (step.workingDir) lines.push(`mkdir -p ${shellQuote(step.workingDir)}`, `cd ${shellQuote(step.workingDir)}`);
  const env = Object.entries(step.env).filter(([k]) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(k));
  if (env.length) lines.push(renderEnv(env).trimEnd());
  if (step.prependPath.length) lines.push(`export PATH=${shellQuote(step.prependPath.join(':'))}:"$PATH"`);
  lines.push('set +e', `exec ${step.argv.map(shellQuote).join(' ')}`);
  return lines.join('\n') + '\n';
}

/** prepare_job's link step for a job container without an agent: one exec of /bin/sh; prints alpine or glibc. */
export const LINK_SCRIPT = String.raw`set -e
mkdir -p /__w/_temp/_github_home /__w/_temp/_github_workflow /github
ln -sfn /__w/_temp/_github_home /github/home
ln -sfn /__w/_temp/_github_workflow /github/workflow
if [ -e /etc/alpine-release ]; then echo alpine; else echo glibc; fi`;

/** Runs LINK_SCRIPT in `container`; returns whether the image is Alpine. */
export async function execLinkStep(ctx: HookContext, container: string): Promise<boolean> {
  let stdout = '';
  const code = await (
    await ctx.exec()
  ).exec(ctx.pod, container, ['/bin/sh', '-c', LINK_SCRIPT], {
    stdout: (c) => (stdout += c.toString()),
    stderr: (c) => ctx.out(c),
  });
  if (code !== 0) throw new Internal(`preparing the job container failed with exit code ${code}`);
  return stdout.trim() === 'alpine';
}
