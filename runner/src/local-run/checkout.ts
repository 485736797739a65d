/**
 * `uses: actions/checkout@…` under `eci-virtual run`: there is no GitHub to clone from, so the working tree the
 * command runs in is uploaded into the job's workspace instead — tracked and untracked-but-not-ignored files when it
 * is a git repository (what a commit of it would hold, plus work in progress), everything but `.git` and
 * `node_modules` otherwise. One exec: `tar -x` in the job container, the archive on stdin.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidInput, Unavailable } from '@eci-virtual/contract';

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
