/**
 * The shell wrapper one hook step runs in its container: working directory, environment (single-quoted, so any
 * value is safe), PATH additions, then `exec` of the runner's entry point — the runner already wrote the script to
 * the shared workspace, so the exec command line stays short (ECI caps exec arguments).
 */
import { shellQuote } from '@eci-virtual/contract';
import { renderEnv } from '../pod-assembly/shell-env.js';

export function stepWrapper(step: {
  entryPoint: string;
  entryPointArgs: string[];
  env: Record<string, string>;
  prependPath: string[];
  workingDirectory?: string;
  /** Shell lines run first (e.g. linking the runner's mount targets onto the workspace). */
  prelude?: string[];
}): string {
  const lines = ['set -e', ...(step.prelude ?? [])];
  if (step.workingDirectory)
    lines.push(`mkdir -p ${shellQuote(step.workingDirectory)}`, `cd ${shellQuote(step.workingDirectory)}`);
  const env = Object.entries(step.env).filter(([k]) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(k));
  if (env.length) lines.push(renderEnv(env).trimEnd());
  // The runner sends prependPath newest first (ContainerHookManager.cs: Global.PrependPath.Reverse()): the entry a
  // later step added must win, so the list is joined as given.
  if (step.prependPath.length) lines.push(`export PATH=${shellQuote(step.prependPath.join(':'))}:"$PATH"`);
  lines.push('set +e', `exec ${[step.entryPoint, ...step.entryPointArgs].map(shellQuote).join(' ')}`);
  return lines.join('\n') + '\n';
}
