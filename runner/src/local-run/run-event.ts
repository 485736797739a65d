/**
 * The event an `eci-virtual run` pretends to handle: `github.event_name`, `github.event` and the `github.sha`,
 * `github.ref`, `github.head_ref` / `github.base_ref` and `github.actor` they imply. There is no webhook locally, so
 * by default the run is a `push` of the local checkout: a payload built from its git HEAD (ref, before/after,
 * repository, head_commit, pusher; other events get the repository and sender only). `--eventpath` supplies a payload of its own (a webhook body, as `act -e` takes).
 *
 * readLocalGit is the only I/O (git, tolerant of a directory that is not a repository); the rest is pure.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { InvalidInput } from '@eci-virtual/contract';

/** What the local repository says about itself; every field is absent outside a git repository. */
export interface LocalGit {
  sha?: string;
  /** `refs/heads/main`, or absent on a detached HEAD. */
  ref?: string;
  /** `owner/name` from the `origin` remote's URL when it names a GitHub-style path. */
  remoteRepository?: string;
  head?: {
    message: string;
    timestamp: string;
    author: { name: string; email: string };
    committer: { name: string; email: string };
    tree_id: string;
  };
}

/** The event and the `github` context fields it sets (job-contexts.ts puts them in the context and env). */
export interface RunEvent {
  name: string;
  payload: Record<string, unknown>;
  sha: string;
  ref: string;
  headRef?: string;
  baseRef?: string;
  actor: string;
}

const ZERO_SHA = '0'.repeat(40);
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function git(root: string, args: string[]): string | undefined {
  const r = spawnSync('git', args, { cwd: root, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

export function readLocalGit(root: string): LocalGit {
  if (git(root, ['rev-parse', '--is-inside-work-tree']) !== 'true') return {};
  const sha = git(root, ['rev-parse', '--verify', '-q', 'HEAD']);
  const ref = git(root, ['symbolic-ref', '-q', 'HEAD']);
  const url = git(root, ['remote', 'get-url', 'origin']);
  const remoteRepository = url ? repositoryFromRemote(url) : undefined;
  // One field per line; the message (%B) last, since it may span lines.
  const show = sha ? git(root, ['show', '-s', '--format=%T%n%aI%n%an%n%ae%n%cn%n%ce%n%B', sha]) : undefined;
  const lines = show?.split('\n');
  return {
    ...(sha ? { sha } : {}),
    ...(ref ? { ref } : {}),
    ...(remoteRepository ? { remoteRepository } : {}),
    ...(lines && lines.length >= 6
      ? {
          head: {
            tree_id: lines[0]!,
            timestamp: lines[1]!,
            author: { name: lines[2]!, email: lines[3]! },
            committer: { name: lines[4]!, email: lines[5]! },
            message: lines.slice(6).join('\n').trim(),
          },
        }
      : {}),
  };
}

/** `git@github.com:o/n.git`, `https://host/o/n(.git)`, `ssh://git@host/o/n` → `o/n`; anything else → undefined. */
export function repositoryFromRemote(url: string): string | undefined {
  const m = /^(?:[a-z+]+:\/\/(?:[^@/]+@)?[^/]+\/|[^@/:]+@[^:/]+:)([^/]+)\/([^/]+?)(?:\.git)?\/?$/.exec(url.trim());
  return m ? `${m[1]}/${m[2]}` : undefined;
}

/** The `repository` and `sender` objects every webhook body carries (the fields workflows read). */
function commonFields(repository: string, ref: string): Record<string, unknown> {
  const [owner, name] = repository.split('/');
  return {
    repository: {
      full_name: repository,
      name,
      owner: { login: owner, name: owner },
      default_branch: ref.replace(/^refs\/heads\//, '') || 'main',
    },
    sender: { login: 'eci-virtual' },
  };
}

/** The `push` webhook body GitHub would send for the local HEAD. */
export function pushPayload(localGit: LocalGit, repository: string): Record<string, unknown> {
  const sha = localGit.sha ?? ZERO_SHA;
  const ref = localGit.ref ?? '';
  const head = localGit.head
    ? {
        id: sha,
        tree_id: localGit.head.tree_id,
        message: localGit.head.message,
        timestamp: localGit.head.timestamp,
        author: localGit.head.author,
        committer: localGit.head.committer,
      }
    : null;
  return {
    ref,
    before: ZERO_SHA,
    after: sha,
    created: false,
    deleted: false,
    forced: false,
    ...commonFields(repository, ref),
    pusher: { name: 'eci-virtual' },
    head_commit: head,
    commits: head ? [head] : [],
  };
}

/** Reads `--eventpath`: a JSON object, or a clear error naming the file. */
export function readEventFile(path: string): Record<string, unknown> {
  if (!existsSync(path)) throw new InvalidInput(`--eventpath ${path} does not exist`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new InvalidInput(`--eventpath ${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (!isObj(parsed)) throw new InvalidInput(`--eventpath ${path} must hold a JSON object (a webhook payload)`);
  return parsed;
}

/**
 * The run's event: `name` (default `push`) with `payload` (default: the push payload of the local HEAD). As on
 * GitHub, `github.sha`/`github.ref` come from the payload where the event carries them (push: `after`/`ref`;
 * pull_request: `refs/pull/<n>/merge` and head/base refs), else from the local checkout.
 */
export function runEvent(
  opts: { name?: string; payload?: Record<string, unknown> },
  localGit: LocalGit,
  repository: string,
): RunEvent {
  const name = opts.name ?? 'push';
  if (!/^[a-z_]+$/.test(name)) throw new InvalidInput(`--event expects an event name such as push, got "${name}"`);
  const payload =
    opts.payload ??
    (name === 'push' ? pushPayload(localGit, repository) : commonFields(repository, localGit.ref ?? ''));
  const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
  const sender = isObj(payload.sender) ? str(payload.sender.login) : undefined;
  let sha = localGit.sha ?? '';
  let ref = localGit.ref ?? '';
  const out: RunEvent = { name, payload, sha, ref, actor: sender ?? 'eci-virtual' };
  if (name === 'push') {
    sha = str(payload.after) ?? sha;
    ref = str(payload.ref) ?? ref;
  }
  const pr = isObj(payload.pull_request) ? payload.pull_request : undefined;
  if (name.startsWith('pull_request') && pr) {
    const number = payload.number ?? pr.number;
    if (typeof number === 'number') ref = `refs/pull/${number}/merge`;
    const headRef = isObj(pr.head) ? str(pr.head.ref) : undefined;
    const baseRef = isObj(pr.base) ? str(pr.base.ref) : undefined;
    if (headRef) out.headRef = headRef;
    if (baseRef) out.baseRef = baseRef;
  }
  return { ...out, sha, ref };
}
