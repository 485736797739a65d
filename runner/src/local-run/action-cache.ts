/**
 * Remote actions (`uses: owner/repo[/path]@ref`) kept by commit: each `ref` is resolved to its commit SHA through the
 * GitHub API ("Get a commit", `GET {api}/repos/{owner}/{repo}/commits/{ref}` with `Accept: application/vnd.github.sha`),
 * and the repository at that commit is downloaded once (action-download.ts, the tarball at the SHA) into
 * `<cache>/<owner>/<repo>@<sha>`. The runner's own archive cache is keyed the same way (ActionManager.cs:
 * ACTIONS_RUNNER_ACTION_ARCHIVE_CACHE, `<cache>/<owner>_<repo>/<sha>.tar.gz`).
 *
 * `<cache>/refs.json` remembers what each `owner/repo@ref` resolved to last, so a re-run with the API unreachable
 * still runs: the remembered commit is used, and the run says so. A ref that is already a full SHA needs no API call.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Forbidden, NotFound, Unavailable } from '@eci-virtual/contract';
import { downloadAction, getFromGitHub, type DownloadOptions, type RemoteAction } from './action-download.js';

const FULL_SHA = /^[0-9a-f]{40}$/i;

export interface CachedAction extends RemoteAction {
  sha: string;
  /** `<owner>/<repo>@<sha>`, relative to the cache directory (and to the pod's actions directory). */
  key: string;
  /** Absolute local directory of the repository at `sha`. */
  dir: string;
}

/** The "Get a commit" URL of `ref`. */
export function commitUrl(apiUrl: string, a: RemoteAction): string {
  const seg = (s: string) => encodeURIComponent(s);
  return `${apiUrl.replace(/\/+$/, '')}/repos/${seg(a.owner)}/${seg(a.repo)}/commits/${seg(a.ref)}`;
}

/** Resolves `a.ref` to its commit SHA through the API. Unavailable when the API cannot be reached. */
export async function resolveRef(a: RemoteAction, opts: DownloadOptions): Promise<string> {
  if (FULL_SHA.test(a.ref)) return a.ref.toLowerCase();
  const label = `${a.owner}/${a.repo}@${a.ref}`;
  const url = commitUrl(opts.apiUrl, a);
  const res = await getFromGitHub(
    url,
    { accept: 'application/vnd.github.sha', timeoutMs: 15_000 },
    opts,
    `resolving action ${label} at ${url}`,
    'check the network or --github-api-url; a ref resolved before runs from the action cache',
  );
  const body = (await res.text()).trim();
  if (res.status === 404 || res.status === 422)
    throw new NotFound(`action ${label} not found: no such repository or ref (${url} answered ${res.status})`, {
      hint: 'check owner, repository and ref; a private repository needs GITHUB_TOKEN',
    });
  if (res.status === 401 || res.status === 403)
    throw new Forbidden(`access denied to action ${label} (${url} answered ${res.status})`, {
      hint: 'set GITHUB_TOKEN to a token that can read the repository (or wait out the rate limit)',
    });
  if (!res.ok) throw new Unavailable(`resolving action ${label} at ${url} failed: HTTP ${res.status}`);
  const sha = body.startsWith('{') ? String((JSON.parse(body) as { sha?: unknown }).sha ?? '') : body;
  if (!FULL_SHA.test(sha)) throw new Unavailable(`resolving action ${label} at ${url}: not a commit SHA: ${sha}`);
  return sha.toLowerCase();
}

export class ActionCache {
  private refs?: Record<string, string>;
  private readonly resolved = new Map<string, CachedAction>();

  /** `dir`: absolute; `note`: what the run should tell the user (a cached commit used without the API). */
  constructor(
    readonly dir: string,
    private readonly api: DownloadOptions,
    private readonly note: (message: string) => void,
  ) {}

  /** The action at the commit its ref names now (or, with the API unreachable, named last time), downloaded. */
  async get(a: RemoteAction): Promise<CachedAction> {
    const label = `${a.owner}/${a.repo}@${a.ref}`;
    const known = this.resolved.get(label);
    if (known) return known;
    let sha: string;
    try {
      sha = await resolveRef(a, this.api);
    } catch (err) {
      const remembered = this.remembered()[label];
      if (!(err instanceof Unavailable) || !remembered || !existsSync(this.dirOf(a, remembered))) throw err;
      sha = remembered;
      this.note(`${label}: used the action cache (commit ${sha}): ${err.message}`);
    }
    const dir = this.dirOf(a, sha);
    if (!existsSync(dir)) await downloadAction({ ...a, ref: sha }, dir, this.api);
    this.remember(label, sha);
    const out = { ...a, sha, key: `${a.owner}/${a.repo}@${sha}`, dir };
    this.resolved.set(label, out);
    return out;
  }

  private dirOf(a: RemoteAction, sha: string): string {
    return join(this.dir, a.owner, `${a.repo}@${sha}`);
  }

  private remembered(): Record<string, string> {
    if (this.refs) return this.refs;
    const file = join(this.dir, 'refs.json');
    try {
      this.refs = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>) : {};
    } catch {
      this.refs = {};
    }
    return this.refs;
  }

  private remember(label: string, sha: string): void {
    const refs = this.remembered();
    if (refs[label] === sha) return;
    refs[label] = sha;
    mkdirSync(this.dir, { recursive: true });
    const file = join(this.dir, 'refs.json');
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(refs, null, 2) + '\n');
    renameSync(tmp, file);
  }
}
