/**
 * `uses: actions/checkout@…` under `eci-virtual run`: there is no GitHub to clone from, so the working tree the
 * command runs in is uploaded into the job's workspace instead — tracked and untracked-but-not-ignored files when it
 * is a git repository (what a commit of it would hold, plus work in progress), everything but `.git` and
 * `node_modules` otherwise. One exec: `tar -x` in the job container, the archive on stdin.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CONTAINER, InvalidInput, Unavailable } from '@eci-virtual/contract';
import type { ExecTransport } from '../kube/exec.js';

/** Uploads stop here: a workspace this big belongs in an image or a cache, not in every job's stdin. */
export const MAX_CHECKOUT_BYTES = 256 * 1024 * 1024;

/** Extracts stdin into the directory in $1 (POSIX sh + tar; busybox tar does). */
export const EXTRACT_SCRIPT = 'mkdir -p "$1" && tar -x -f - -C "$1"';

export interface WorkingTreeArchive {
  tar: Buffer;
  files: number;
}

function gitFiles(root: string): string[] | undefined {
  if (!existsSync(join(root, '.git'))) return undefined;
  const r = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: root,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) return undefined;
  return r.stdout
    .toString('utf8')
    .split('\0')
    .filter((f) => f && existsSync(join(root, f)));
}

/**
 * The files `workingTreeArchive` uploads, relative to `root`: git's listing in a repository, else every file but
 * those below the top-level `.git` and `node_modules` (what `tar --exclude` leaves out).
 */
export function workingTreeFiles(root: string): string[] {
  const listed = gitFiles(root);
  if (listed) return listed;
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of readdirSync(join(root, rel), { withFileTypes: true })) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (!rel && (e.name === '.git' || e.name === 'node_modules')) continue;
      if (e.isDirectory()) walk(path);
      else out.push(path);
    }
  };
  walk('');
  return out;
}

export function workingTreeArchive(root: string, maxBytes = MAX_CHECKOUT_BYTES): WorkingTreeArchive {
  const files = gitFiles(root);
  const args = files
    ? ['-c', '-f', '-', '--null', '-T', '-']
    : ['-c', '-f', '-', '--exclude=./.git', '--exclude=./node_modules', '.'];
  const r = spawnSync('tar', args, {
    cwd: root,
    ...(files ? { input: files.join('\0') } : {}),
    maxBuffer: maxBytes + 1024 * 1024,
  });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOBUFS')
    throw new InvalidInput(`the working tree ${root} is larger than ${maxBytes >> 20} MiB; check out less`);
  if (r.status !== 0)
    throw new Unavailable(`tar of ${root} failed: ${r.stderr.toString().trim() || r.error?.message || r.status}`);
  if (r.stdout.length > maxBytes)
    throw new InvalidInput(`the working tree ${root} is larger than ${maxBytes >> 20} MiB; check out less`);
  return { tar: r.stdout, files: files?.length ?? -1 };
}

/** Where `with.path` (already evaluated) puts the tree: below the workspace, never outside it. */
export function checkoutDestination(workspace: string, path: string): string {
  if (path.split('/').includes('..') || path.startsWith('/'))
    throw new InvalidInput(`actions/checkout: path "${path}" must stay inside the workspace`);
  return path ? `${workspace}/${path}` : workspace;
}

/** Uploads the working tree at `root` into `dest` in the job container; returns the line the step log shows. */
export async function uploadWorkingTree(
  transport: ExecTransport,
  pod: { namespace: string; name: string },
  root: string,
  dest: string,
): Promise<string> {
  const archive = workingTreeArchive(root);
  const errors: Buffer[] = [];
  const code = await transport.exec(pod, CONTAINER.job, ['/bin/sh', '-c', EXTRACT_SCRIPT, 'eci-checkout', dest], {
    stdin: archive.tar,
    stdout: () => undefined,
    stderr: (c) => errors.push(c),
  });
  if (code !== 0)
    throw new Unavailable(
      `extracting the working tree failed (exit ${code}): ${Buffer.concat(errors).toString().trim()}`,
    );
  const files = archive.files >= 0 ? `${archive.files} files` : 'the directory';
  return `checked out ${files} (${(archive.tar.length / 1048576).toFixed(1)} MiB) from ${root} into ${dest}`;
}
