/**
 * Whole GitHub objects, shaped as api.github.com returns them. Every field a published schema requires is present
 * with a realistic value, so the emulator's answers pass GitHub's own descriptions (checked in `schemas.test.ts`):
 *
 * - REST: the OpenAPI description of api.github.com (npm `@octokit/openapi`, `generated/api.github.com.json`),
 *   components `simple-user`, `minimal-repository`, `workflow-run`, `job`, `content-file`, `runner`,
 *   `installation-token`, `basic-error`; pages https://docs.github.com/rest/actions/workflow-runs,
 *   https://docs.github.com/rest/actions/workflow-jobs, https://docs.github.com/rest/repos/contents,
 *   https://docs.github.com/rest/actions/self-hosted-runners, https://docs.github.com/rest/apps/apps.
 * - Webhooks: GitHub's webhook description (npm `@octokit/openapi-webhooks`), components `repository-webhooks`,
 *   `simple-user`, `organization-simple-webhooks`, `simple-installation`, `webhook-workflow-job-*`; page
 *   https://docs.github.com/webhooks/webhook-events-and-payloads#workflow_job.
 *
 * URLs point at the emulator (`urls.api`), the way GHES objects point at `https://HOST/api/v3`, so a client that
 * follows a `url` field reaches the emulator; web links use `urls.web`.
 */
import { createHash } from 'node:crypto';

export interface Urls {
  /** REST base, no trailing slash (https://api.github.com on github.com). */
  api: string;
  /** Web base (https://github.com). */
  web: string;
}

export interface Account {
  login: string;
  id: number;
  type: 'User' | 'Organization' | 'Bot';
}

export interface Repo {
  id: number;
  owner: Account;
  name: string;
  createdAt: string;
  private: boolean;
  defaultBranch: string;
}

/** GraphQL global ids in GitHub's current format (`R_kgDO…`, `U_kgDO…`, `CR_kwDO…`): a type prefix and an encoding. */
export function nodeId(prefix: string, id: number): string {
  return `${prefix}_kwDO${Buffer.from(id.toString(16).padStart(8, '0'), 'hex').toString('base64url')}`;
}

/** `simple-user` (REST and webhooks): `sender`, repository `owner`, run `actor`. */
export function userObject(a: Account, urls: Urls) {
  const api = `${urls.api}/users/${a.login}`;
  return {
    name: null,
    email: null,
    login: a.login,
    id: a.id,
    node_id: nodeId(a.type === 'Organization' ? 'O' : a.type === 'Bot' ? 'BOT' : 'U', a.id),
    avatar_url: `${urls.web}/avatars/u/${a.id}?v=4`,
    gravatar_id: '',
    url: api,
    html_url: `${urls.web}/${a.type === 'Bot' ? 'apps/' : ''}${a.login.replace(/\[bot\]$/, '')}`,
    followers_url: `${api}/followers`,
    following_url: `${api}/following{/other_user}`,
    gists_url: `${api}/gists{/gist_id}`,
    starred_url: `${api}/starred{/owner}{/repo}`,
    subscriptions_url: `${api}/subscriptions`,
    organizations_url: `${api}/orgs`,
    repos_url: `${api}/repos`,
    events_url: `${api}/events{/privacy}`,
    received_events_url: `${api}/received_events`,
    type: a.type,
    user_view_type: 'public',
    site_admin: false,
  };
}

/** `organization-simple-webhooks`: the `organization` of a webhook whose repository an organization owns. */
export function organizationObject(a: Account, urls: Urls) {
  const api = `${urls.api}/orgs/${a.login}`;
  return {
    login: a.login,
    id: a.id,
    node_id: nodeId('O', a.id),
    url: api,
    repos_url: `${api}/repos`,
    events_url: `${api}/events`,
    hooks_url: `${api}/hooks`,
    issues_url: `${api}/issues`,
    members_url: `${api}/members{/member}`,
    public_members_url: `${api}/public_members{/member}`,
    avatar_url: `${urls.web}/avatars/u/${a.id}?v=4`,
    description: null,
  };
}

/** `minimal-repository`: `repository` and `head_repository` of a workflow run. */
export function minimalRepositoryObject(r: Repo, urls: Urls) {
  const full = `${r.owner.login}/${r.name}`;
  const api = `${urls.api}/repos/${full}`;
  return {
    id: r.id,
    node_id: nodeId('R', r.id),
    name: r.name,
    full_name: full,
    private: r.private,
    owner: userObject(r.owner, urls),
    html_url: `${urls.web}/${full}`,
    description: null,
    fork: false,
    url: api,
    forks_url: `${api}/forks`,
    keys_url: `${api}/keys{/key_id}`,
    collaborators_url: `${api}/collaborators{/collaborator}`,
    teams_url: `${api}/teams`,
    hooks_url: `${api}/hooks`,
    issue_events_url: `${api}/issues/events{/number}`,
    events_url: `${api}/events`,
    assignees_url: `${api}/assignees{/user}`,
    branches_url: `${api}/branches{/branch}`,
    tags_url: `${api}/tags`,
    blobs_url: `${api}/git/blobs{/sha}`,
    git_tags_url: `${api}/git/tags{/sha}`,
    git_refs_url: `${api}/git/refs{/sha}`,
    trees_url: `${api}/git/trees{/sha}`,
    statuses_url: `${api}/statuses/{sha}`,
    languages_url: `${api}/languages`,
    stargazers_url: `${api}/stargazers`,
    contributors_url: `${api}/contributors`,
    subscribers_url: `${api}/subscribers`,
    subscription_url: `${api}/subscription`,
    commits_url: `${api}/commits{/sha}`,
    git_commits_url: `${api}/git/commits{/sha}`,
    comments_url: `${api}/comments{/number}`,
    issue_comment_url: `${api}/issues/comments{/number}`,
    contents_url: `${api}/contents/{+path}`,
    compare_url: `${api}/compare/{base}...{head}`,
    merges_url: `${api}/merges`,
    archive_url: `${api}/{archive_format}{/ref}`,
    downloads_url: `${api}/downloads`,
    issues_url: `${api}/issues{/number}`,
    pulls_url: `${api}/pulls{/number}`,
    milestones_url: `${api}/milestones{/number}`,
    notifications_url: `${api}/notifications{?since,all,participating}`,
    labels_url: `${api}/labels{/name}`,
    releases_url: `${api}/releases{/id}`,
    deployments_url: `${api}/deployments`,
  };
}

/** `repository-webhooks`: the full `repository` of a webhook payload. */
export function repositoryObject(r: Repo, urls: Urls) {
  const full = `${r.owner.login}/${r.name}`;
  const host = new URL(urls.web).host;
  return {
    ...minimalRepositoryObject(r, urls),
    created_at: r.createdAt,
    updated_at: r.createdAt,
    pushed_at: r.createdAt,
    git_url: `git://${host}/${full}.git`,
    ssh_url: `git@${host}:${full}.git`,
    clone_url: `${urls.web}/${full}.git`,
    svn_url: `${urls.web}/${full}`,
    homepage: null,
    size: 0,
    stargazers_count: 0,
    watchers_count: 0,
    language: null,
    has_issues: true,
    has_projects: true,
    has_downloads: true,
    has_wiki: true,
    has_pages: false,
    has_discussions: false,
    forks_count: 0,
    mirror_url: null,
    archived: false,
    disabled: false,
    open_issues_count: 0,
    license: null,
    allow_forking: true,
    is_template: false,
    web_commit_signoff_required: false,
    topics: [],
    visibility: r.private ? 'private' : 'public',
    forks: 0,
    open_issues: 0,
    watchers: 0,
    default_branch: r.defaultBranch,
    custom_properties: {},
  };
}

export interface RunView {
  id: number;
  runNumber: number;
  runAttempt: number;
  workflowId: number;
  name: string;
  path: string;
  headSha: string;
  headBranch: string;
  event: string;
  status: string;
  conclusion: string | null;
  createdAt: string;
  updatedAt: string;
  startedAt: string;
  actor: Account;
}

/** `workflow-run` (GET /repos/{owner}/{repo}/actions/runs and /runs/{run_id}). */
export function workflowRunObject(run: RunView, repo: Repo, urls: Urls) {
  const full = `${repo.owner.login}/${repo.name}`;
  const api = `${urls.api}/repos/${full}/actions/runs/${run.id}`;
  const checkSuiteId = run.id * 10 + 7;
  return {
    id: run.id,
    name: run.name,
    node_id: nodeId('WFR', run.id),
    head_branch: run.headBranch,
    head_sha: run.headSha,
    path: run.path,
    display_title: `Commit ${run.headSha.slice(0, 7)}`,
    run_number: run.runNumber,
    event: run.event,
    status: run.status,
    conclusion: run.conclusion,
    workflow_id: run.workflowId,
    check_suite_id: checkSuiteId,
    check_suite_node_id: nodeId('CS', checkSuiteId),
    url: api,
    html_url: `${urls.web}/${full}/actions/runs/${run.id}`,
    pull_requests: [],
    created_at: run.createdAt,
    updated_at: run.updatedAt,
    actor: userObject(run.actor, urls),
    run_attempt: run.runAttempt,
    referenced_workflows: [],
    run_started_at: run.startedAt,
    triggering_actor: userObject(run.actor, urls),
    jobs_url: `${api}/jobs`,
    logs_url: `${api}/logs`,
    check_suite_url: `${urls.api}/repos/${full}/check-suites/${checkSuiteId}`,
    artifacts_url: `${api}/artifacts`,
    cancel_url: `${api}/cancel`,
    rerun_url: `${api}/rerun`,
    previous_attempt_url: null,
    workflow_url: `${urls.api}/repos/${full}/actions/workflows/${run.workflowId}`,
    head_commit: {
      id: run.headSha,
      tree_id: createHash('sha1').update(`tree ${run.headSha}`).digest('hex'),
      message: `Commit ${run.headSha.slice(0, 7)}`,
      timestamp: run.createdAt,
      author: { name: run.actor.login, email: `${run.actor.id}+${run.actor.login}@users.noreply.github.com` },
      committer: { name: 'GitHub', email: 'noreply@github.com' },
    },
    repository: minimalRepositoryObject(repo, urls),
    head_repository: minimalRepositoryObject(repo, urls),
  };
}

export interface JobView {
  id: number;
  runId: number;
  runAttempt: number;
  workflowName: string;
  headSha: string;
  headBranch: string;
  name: string;
  labels: string[];
  status: string;
  conclusion: string | null;
  createdAt: string;
  startedAt: string;
  completedAt: string | null;
  runnerId: number | null;
  runnerName: string | null;
  runnerGroupId: number | null;
  runnerGroupName: string | null;
  steps: {
    name: string;
    status: 'queued' | 'in_progress' | 'completed';
    conclusion: string | null;
    number: number;
    started_at: string | null;
    completed_at: string | null;
  }[];
}

/**
 * `job` (REST) and the `workflow_job` of the webhook. `started_at` is never null: GitHub sets it when the job is
 * queued and again when a runner starts it (both schemas require a date-time string).
 */
export function workflowJobObject(j: JobView, repo: Repo, urls: Urls) {
  const full = `${repo.owner.login}/${repo.name}`;
  return {
    id: j.id,
    run_id: j.runId,
    workflow_name: j.workflowName,
    head_branch: j.headBranch,
    run_url: `${urls.api}/repos/${full}/actions/runs/${j.runId}`,
    run_attempt: j.runAttempt,
    node_id: nodeId('CR', j.id),
    head_sha: j.headSha,
    url: `${urls.api}/repos/${full}/actions/jobs/${j.id}`,
    html_url: `${urls.web}/${full}/actions/runs/${j.runId}/job/${j.id}`,
    status: j.status,
    conclusion: j.conclusion,
    created_at: j.createdAt,
    started_at: j.startedAt,
    completed_at: j.completedAt,
    name: j.name,
    steps: j.steps,
    check_run_url: `${urls.api}/repos/${full}/check-runs/${j.id}`,
    labels: j.labels,
    runner_id: j.runnerId,
    runner_name: j.runnerName,
    runner_group_id: j.runnerGroupId,
    runner_group_name: j.runnerGroupName,
  };
}

/** Git's blob id of a file's bytes: what `sha` of a contents answer is. */
export function blobSha(bytes: Buffer): string {
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

/** `content-file` (GET /repos/{owner}/{repo}/contents/{path}): base64 in lines of 60 characters, as GitHub sends. */
export function contentFileObject(repo: Repo, path: string, ref: string, text: string, urls: Urls) {
  const full = `${repo.owner.login}/${repo.name}`;
  const bytes = Buffer.from(text, 'utf8');
  const sha = blobSha(bytes);
  const encodedPath = path.split('/').map(encodeURIComponent).join('/');
  const self = `${urls.api}/repos/${full}/contents/${encodedPath}?ref=${encodeURIComponent(ref)}`;
  const git = `${urls.api}/repos/${full}/git/blobs/${sha}`;
  const html = `${urls.web}/${full}/blob/${encodeURIComponent(ref)}/${encodedPath}`;
  return {
    name: path.split('/').pop()!,
    path,
    sha,
    size: bytes.length,
    url: self,
    html_url: html,
    git_url: git,
    download_url: `${urls.web}/${full}/raw/${encodeURIComponent(ref)}/${encodedPath}`,
    type: 'file' as const,
    content: `${bytes.toString('base64').replace(/(.{60})/g, '$1\n')}\n`,
    encoding: 'base64',
    _links: { self, git, html },
  };
}

export interface RunnerView {
  id: number;
  name: string;
  status: 'online' | 'offline';
  busy: boolean;
  labels: string[];
  runnerGroupId: number;
}

/**
 * `runner`: a JIT runner's labels are the system labels GitHub adds (`self-hosted` and the OS/architecture the
 * runner reports, read-only) followed by the custom labels it was registered with.
 */
export function runnerObject(r: RunnerView) {
  const system = ['self-hosted', 'Linux', 'X64'];
  const custom = r.labels.filter((l) => !system.some((s) => s.toLowerCase() === l.toLowerCase()));
  return {
    id: r.id,
    runner_group_id: r.runnerGroupId,
    name: r.name,
    os: 'Linux',
    status: r.status,
    busy: r.busy,
    ephemeral: true,
    labels: [
      ...system.map((name, i) => ({ id: i + 1, name, type: 'read-only' as const })),
      ...custom.map((name, i) => ({ id: system.length + i + 1, name, type: 'custom' as const })),
    ],
  };
}

/** `basic-error`: GitHub's error body (`status` is the HTTP status as a string). */
export function errorObject(status: number, message: string, documentationUrl: string) {
  return { message, documentation_url: documentationUrl, status: String(status) };
}
