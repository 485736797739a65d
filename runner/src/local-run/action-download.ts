/**
 * Downloads a remote action (`uses: owner/repo[/path]@ref`) as the runner does (src/Runner.Worker/ActionManager.cs):
 * the repository's tarball (`GET {api}/repos/{owner}/{repo}/tarball/{ref}`, which GitHub answers with a redirect to
 * codeload), extracted with `tar -xzf` into a staging folder, whose single top-level folder becomes the action's
 * directory. 404 is "not found" and 403 "access denied" without retry, as the runner's DownloadRepositoryArchive;
 * the token, when there is one, goes as a header only and never into a message.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Forbidden, InvalidInput, MissingTool, NotFound, Unavailable } from '@eci-virtual/contract';

export const DEFAULT_GITHUB_API_URL = 'https://api.github.com';

export interface RemoteAction {
  owner: string;
  repo: string;
  ref: string;
}

export interface DownloadOptions {
  /** `--github-api-url`, without a trailing slash. */
  apiUrl: string;
  /** GITHUB_TOKEN, when set: raises rate limits and reaches private repositories. */
  token?: string;
  fetch?: typeof fetch;
}

/** The tarball URL of an action's repository at its ref. */
export function tarballUrl(apiUrl: string, a: RemoteAction): string {
  const seg = (s: string) => encodeURIComponent(s);
  return `${apiUrl.replace(/\/+$/, '')}/repos/${seg(a.owner)}/${seg(a.repo)}/tarball/${seg(a.ref)}`;
}

/**
 * GET `url` from the GitHub API with the run's token; a request that gets no answer at all is `Unavailable`, its
 * message `<doing> failed: <cause>` with `hint`. Any answer, error statuses included, is the caller's to judge.
 */
export async function getFromGitHub(
  url: string,
  init: { accept: string; redirect?: RequestRedirect; timeoutMs?: number },
  opts: DownloadOptions,
  doing: string,
  hint: string,
): Promise<Response> {
  try {
    return await (opts.fetch ?? fetch)(url, {
      headers: {
        accept: init.accept,
        'user-agent': 'eci-virtual',
        ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
      },
      ...(init.redirect ? { redirect: init.redirect } : {}),
      ...(init.timeoutMs ? { signal: AbortSignal.timeout(init.timeoutMs) } : {}),
    });
  } catch (err) {
    const cause = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message;
    throw new Unavailable(`${doing} failed: ${cause}`, { hint });
  }
}

/** Fetches the archive of `a` and unpacks its one top-level folder as `dest` (which must not exist yet). */
export async function downloadAction(a: RemoteAction, dest: string, opts: DownloadOptions): Promise<void> {
  const label = `${a.owner}/${a.repo}@${a.ref}`;
  const url = tarballUrl(opts.apiUrl, a);
  const res = await getFromGitHub(
    url,
    { accept: 'application/vnd.github+json', redirect: 'follow' },
    opts,
    `downloading action ${label} from ${url}`,
    'check the network, or --github-api-url; or vendor the action and pass --action-cache',
  );
  if (res.status === 404)
    throw new NotFound(`action ${label} not found (${url} answered 404)`, {
      hint: 'check owner, repository and ref; a private repository needs GITHUB_TOKEN',
    });
  if (res.status === 401 || res.status === 403)
    throw new Forbidden(`access denied to action ${label} (${url} answered ${res.status})`, {
      hint: 'set GITHUB_TOKEN to a token that can read the repository',
    });
  if (!res.ok) throw new Unavailable(`downloading action ${label} from ${url} failed: HTTP ${res.status}`);
  const body = Buffer.from(await res.arrayBuffer());
  mkdirSync(dirname(dest), { recursive: true });
  const staging = mkdtempSync(join(dirname(dest), '_temp_'));
  try {
    const archive = join(staging, 'archive.tar.gz');
    writeFileSync(archive, body);
    const out = join(staging, 'out');
    mkdirSync(out);
    const tar = spawnSync('tar', ['-xzf', archive, '-C', out], { encoding: 'utf8' });
    if (tar.error) throw new MissingTool('tar is needed to unpack downloaded actions', { cause: tar.error });
    if (tar.status !== 0)
      throw new InvalidInput(`the archive of action ${label} from ${url} did not unpack: ${tar.stderr.trim()}`);
    const top = readdirSync(out, { withFileTypes: true }).filter((d) => d.isDirectory());
    if (top.length !== 1)
      throw new InvalidInput(`the archive of action ${label} from ${url} holds ${top.length} top-level folders, not 1`);
    if (existsSync(dest)) rmSync(dest, { recursive: true, force: true });
    renameSync(join(out, top[0]!.name), dest);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
