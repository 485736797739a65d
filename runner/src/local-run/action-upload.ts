/**
 * Puts the remote actions a job uses into its pod before the first step, as the runner downloads them into
 * `_work/_actions` during "Set up job" (ActionManager.cs PrepareActionsAsync): one exec extracting a tar of their
 * repositories, read from the action cache, below POD_ACTIONS_DIR (`<owner>/<repo>@<sha>` each). Independent of
 * `actions/checkout`, as on GitHub.
 */
import { spawnSync } from 'node:child_process';
import { CONTAINER, Internal, Unavailable } from '@eci-virtual/contract';
import type { ExecTransport } from '../kube/exec.js';
import { POD_ACTIONS_DIR } from '../workflow/local-action.js';
import { EXTRACT_SCRIPT } from './checkout.js';

/** A tar of the repositories, each as `<key>/…`; `dir` must end with `/<key>` (the action cache's layout). */
export function actionsArchive(actions: { key: string; dir: string }[]): Buffer {
  const args = ['-c', '-f', '-'];
  for (const a of actions) {
    if (!a.dir.endsWith(`/${a.key}`)) throw new Internal(`action directory ${a.dir} does not end with ${a.key}`);
    args.push('-C', a.dir.slice(0, -a.key.length - 1), a.key);
  }
  const r = spawnSync('tar', args, { maxBuffer: 512 * 1024 * 1024 });
  if (r.status !== 0)
    throw new Unavailable(`tar of the actions failed: ${r.stderr.toString().trim() || r.error?.message || r.status}`);
  return r.stdout;
}

/** Uploads the actions into the job container's POD_ACTIONS_DIR; returns what the job log says. */
export async function uploadActions(
  transport: ExecTransport,
  pod: { namespace: string; name: string },
  actions: { key: string; dir: string }[],
): Promise<string> {
  const tar = actionsArchive(actions);
  const errors: Buffer[] = [];
  const code = await transport.exec(
    pod,
    CONTAINER.job,
    ['/bin/sh', '-c', EXTRACT_SCRIPT, 'eci-actions', POD_ACTIONS_DIR],
    {
      stdin: tar,
      stdout: () => undefined,
      stderr: (c) => errors.push(c),
    },
  );
  if (code !== 0)
    throw new Unavailable(
      `extracting the actions into ${POD_ACTIONS_DIR} failed (exit ${code}): ${Buffer.concat(errors).toString().trim()}`,
    );
  return `actions ${actions.map((a) => a.key).join(', ')} in ${POD_ACTIONS_DIR}`;
}
