/**
 * Runs a host tool through zx and turns a failure into one readable error (tool, exit code, last stderr lines)
 * instead of zx's multi-line ProcessOutput with an internal stack.
 */
import { $ } from 'zx';
import { Internal } from '@eci-virtual/contract';

export async function run(
  tool: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<string> {
  const out = await $({
    quiet: true,
    nothrow: true,
    ...(opts.env ? { env: opts.env } : {}),
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
  })`${tool} ${args}`;
  if (out.exitCode === 0) return out.stdout;
  const tail = (out.stderr.trim() || out.stdout.trim()).split('\n').slice(-5).join(' | ');
  throw new Internal(`${tool} ${args[0] ?? ''} failed (exit ${out.exitCode}): ${tail}`);
}
