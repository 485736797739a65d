/**
 * What the runner puts into `_work` during "Set up job", before the first step, put into the job pod with one exec
 * (a tar extracted into the workspace root):
 * - the event payload as `_temp/_github_workflow/event.json`, GITHUB_EVENT_PATH (ExecutionContext.cs writes it there);
 * - the remote actions the job uses, from the action cache, as `_actions/<owner>/<repo>@<sha>` (ActionManager.cs
 *   downloads them into `_work/_actions`), so they do not depend on `actions/checkout`, as on GitHub.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONTAINER, Internal, PATHS, Unavailable } from '@eci-virtual/contract';
import type { ExecTransport } from '../kube/exec.js';
import { POD_ACTIONS_DIR } from '../workflow/local-action.js';
import { EXTRACT_SCRIPT } from './checkout.js';
import type { PodAgents } from './pod-agents.js';

/** GITHUB_EVENT_PATH in the pod. */
export const EVENT_PATH = `${PATHS.temp}/_github_workflow/event.json`;

export interface JobFiles {
  /** `github.event` as JSON. */
  event: string;
  /** Remote actions: `key` (`<owner>/<repo>@<sha>`) and the local directory, which ends with `/<key>`. */
  actions: { key: string; dir: string }[];
}

const rel = (podPath: string) => podPath.slice(PATHS.workspace.length + 1);
const escapeRegex = (s: string) => s.replace(/[.[\]*^$\\]/g, '\\$&');

/** The tar, relative to the workspace root: the event file, and each action as `_actions/<key>/…`. */
export function jobFilesArchive(files: JobFiles): Buffer {
  const staging = mkdtempSync(join(tmpdir(), 'eci-job-files-'));
  try {
    const event = rel(EVENT_PATH);
    mkdirSync(join(staging, event, '..'), { recursive: true });
    writeFileSync(join(staging, event), files.event);
    const args = ['-c', '-f', '-', '-C', staging, event.split('/')[0]!];
    const owners = new Set<string>();
    for (const a of files.actions) {
      if (!a.dir.endsWith(`/${a.key}`)) throw new Internal(`action directory ${a.dir} does not end with ${a.key}`);
      args.push('-C', a.dir.slice(0, -a.key.length - 1), a.key);
      owners.add(a.key.split('/')[0]!);
    }
    // --transform is global in GNU tar: only members below an action owner move under _actions/.
    const actionsDir = rel(POD_ACTIONS_DIR);
    for (const o of owners) args.splice(3, 0, `--transform=s,^${escapeRegex(o)}/,${actionsDir}/${o}/,`);
    const r = spawnSync('tar', args, { maxBuffer: 512 * 1024 * 1024 });
    if (r.status !== 0)
      throw new Unavailable(
        `tar of the job's files failed: ${r.stderr.toString().trim() || r.error?.message || r.status}`,
      );
    return r.stdout;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * Extracts the job's files into the job container's workspace root: through the container's agent stream when the
 * pod has agents (PUT /v1/files over the exec the steps use next, so no exec of its own), else with one exec.
 * Returns what the job log says and the execs it took.
 */
export async function uploadJobFiles(
  transport: ExecTransport,
  pod: { namespace: string; name: string },
  files: JobFiles,
  agents?: PodAgents,
): Promise<{ line: string; execs: number }> {
  const tar = jobFilesArchive(files);
  const line = `event payload at ${EVENT_PATH}; ${files.actions.length} action(s) in ${POD_ACTIONS_DIR}`;
  const before = agents ? await agents.execs() : 0;
  const link = agents ? await agents.link(CONTAINER.job) : undefined;
  if (link) {
    await link.client.putFiles(PATHS.workspace, tar);
    return { line, execs: (await agents!.execs()) - before };
  }
  const errors: Buffer[] = [];
  const code = await transport.exec(
    pod,
    CONTAINER.job,
    ['/bin/sh', '-c', EXTRACT_SCRIPT, 'eci-job-files', PATHS.workspace],
    {
      stdin: tar,
      stdout: () => undefined,
      stderr: (c) => errors.push(c),
    },
  );
  if (code !== 0)
    throw new Unavailable(
      `extracting the event payload and actions into ${PATHS.workspace} failed (exit ${code}): ${Buffer.concat(errors).toString().trim()}`,
    );
  return { line, execs: (agents ? (await agents.execs()) - before : 0) + 1 };
}
