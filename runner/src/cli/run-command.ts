/**
 * `eci-virtual run [workflow] [--job id] ...`: runs a workflow's jobs on the current cluster, each as one pod on a
 * virtual node, side by side as GitHub schedules them (local-run/scheduler.ts), with live progress.
 * Exit code: 0 when every job succeeded or was skipped by `if:`, 1 when any failed (or was cancelled by fail-fast),
 * 130 when the run was cancelled (Ctrl-C).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { InvalidInput } from '@eci-virtual/contract';
import { loadKubeConfig, makeClients } from '../kube/client.js';
import { KubeExec } from '../kube/exec.js';
import { createLogger } from '../observability/logger.js';
import { JobRunner, type JobRunOptions } from '../local-run/job-runner.js';
import type { JobSpec } from '../local-run/job-spec.js';
import {
  parseRepoSettings,
  placementAnnotations,
  placementFor,
  SETTINGS_PATH,
  type RepoSettings,
} from '../controller/settings/repo-settings.js';
import type { JobResult } from '../local-run/reporter.js';
import { loadWorkflowJobs, type LoadedJobs } from '../local-run/from-workflow.js';
import { DEFAULT_GITHUB_API_URL, type RemoteAction } from '../local-run/action-download.js';
import { RemoteActionMissing, type RemoteLookup, type ResolvedRemote } from '../workflow/local-action.js';
import { ActionCache } from '../local-run/action-cache.js';
import { jobNotRun } from '../local-run/conclusions.js';
import { JobContexts } from '../local-run/job-contexts.js';
import { runJobs } from '../local-run/scheduler.js';
import { readEventFile, readLocalGit, runEvent } from '../local-run/run-event.js';
import { readDotenvFile } from './dotenv.js';
import { intFlag, parseFlags } from './flags.js';
import { listJobs, renderList } from './run-list.js';
import { HumanRunRenderer, JsonRunRenderer } from './run-renderer.js';

/** Jobs at once unless --jobs says otherwise: enough for a matrix, few enough for a laptop's cluster. */
export const DEFAULT_CONCURRENCY = 4;

export const runUsage = `eci-virtual run [workflow.yml] [options]

  --job ID                 run only this job, without its needs (default: every job, as the needs graph allows)
  --jobs N                 at most N jobs at once (default ${DEFAULT_CONCURRENCY}); strategy.max-parallel also applies
  --matrix k=v             only the matrix combinations with k=v (repeatable)
  --list                   print the jobs and matrix legs the run would start, their needs and pods; no cluster
  --env K=V                extra variable for every step (repeatable; over --env-file)
  --env-file PATH          variables from a dotenv file: KEY=VALUE lines, # comments, 'literal' and "escaped\n"
                           values (quoted values may span lines), no \${VAR} expansion
  --secret K=V             secret available as \${{ secrets.K }}, masked in output (repeatable; over --secret-file)
  --secret-file PATH       secrets from a dotenv file (as --env-file)
  --action-cache DIR       where uses: owner/repo[/path]@ref actions are kept, by commit: DIR/OWNER/REPO@SHA
                           (default $XDG_CACHE_HOME/eci-virtual/actions, else ~/.cache/eci-virtual/actions).
                           Each ref is resolved to its commit through the API, downloaded once, and uploaded into
                           the job pod (/__w/_actions); with the API unreachable, the commit a ref resolved to
                           last time (DIR/refs.json) is used, and the run says so
  --github-api-url URL     the GitHub API actions are resolved and downloaded from, as the runner does: URL/repos/
                           OWNER/REPO/commits/REF, then URL/repos/OWNER/REPO/tarball/SHA (default
                           ${DEFAULT_GITHUB_API_URL}; token from $GITHUB_TOKEN if set)
  --event NAME             github.event_name (default push)
  --eventpath PATH         github.event: a webhook payload as JSON (default for push: built from the local git
                           HEAD — ref, after, repository, head_commit)
  --placement virtual|any  virtual node only (default) or any node; .github/eci-virtual.yml adds cpu, memory,
                           ECI specs, image cache and kaniko settings per job
  --node NAME              pin jobs to one node
  --image IMAGE            image for jobs without container: (default $ECI_VIRTUAL_DEFAULT_IMAGE)
  --namespace NS           where job pods go (default: default)
  --repository OWNER/NAME  github.repository (default: from the origin remote, else local/<directory>)
  --kaniko-image IMAGE     kaniko image for jobs that build images (default $ECI_VIRTUAL_KANIKO_IMAGE)
  --agent-image IMAGE      image holding the step agent (default $ECI_VIRTUAL_AGENT_IMAGE; yarn engine up builds
                           eci-virtual/agent): each job's steps then take one exec per container in all; \`none\`, or
                           no image, runs every step as an exec of its own
  --node-runtime-image IMAGE
                           image holding the Node.js runtime JavaScript actions run with (default
                           $ECI_VIRTUAL_NODE_RUNTIME_IMAGE; yarn engine up builds eci-virtual/node-runtime): an
                           init container copies it to /__e/node, as the runner's externals, so any job image runs
                           them; without it, the job image's own node is used
  --pod-start-timeout S    fail a job whose pod does not run within S seconds (default 300)
  --keep-pod               leave job pods for inspection
  --json                   JSON lines instead of human output
  --kubeconfig PATH        default: $KUBECONFIG, in-cluster, ~/.kube/config

Exit code: 0 when every job succeeded or was skipped by if: (and for --list), 1 when any job failed, 130 when
cancelled (Ctrl-C), 2 when the workflow or a flag is refused before any pod is created.`;

/** The run's exit code from its jobs: a fail-fast cancellation is a failure; only Ctrl-C makes 130. */
export function exitCode(results: JobResult[], interrupted: boolean): number {
  if (interrupted) return 130;
  return results.every((r) => r.conclusion === 'success' || r.conclusion === 'skipped') ? 0 : 1;
}

function keyValues(list: string[] | undefined, flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list ?? []) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new InvalidInput(`--${flag} expects KEY=VALUE, got "${item}"`);
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

/** `--action-cache DIR`, else `$XDG_CACHE_HOME/eci-virtual/actions` (`~/.cache/eci-virtual/actions`): absolute. */
export function actionCacheDir(dir: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (dir) return resolve(dir);
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'eci-virtual', 'actions');
}

/**
 * Loads the workflow, resolving and downloading each remote action it (or a composite action in it) uses through
 * the action cache the first time the loader meets it, then loading again.
 */
export async function loadWithRemoteActions(
  load: (remote: RemoteLookup) => LoadedJobs,
  cache: { get(a: RemoteAction): Promise<ResolvedRemote> },
): Promise<LoadedJobs> {
  const known = new Map<string, ResolvedRemote>();
  const label = (a: RemoteAction) => `${a.owner}/${a.repo}@${a.ref}`;
  for (;;) {
    try {
      return load((a) => known.get(label(a)));
    } catch (err) {
      if (!(err instanceof RemoteActionMissing)) throw err;
      const a = err.action;
      if (known.has(label(a))) throw err;
      known.set(label(a), await cache.get({ owner: a.owner, repo: a.repo, ref: a.ref }));
    }
  }
}

/** With no argument: the only workflow in .github/workflows, or a clear error listing them. */
export function findWorkflow(arg: string | undefined, cwd = process.cwd()): string {
  if (arg) {
    const p = resolve(cwd, arg);
    if (!existsSync(p)) throw new InvalidInput(`workflow file ${arg} does not exist`);
    return p;
  }
  const dir = join(cwd, '.github', 'workflows');
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)) : [];
  if (files.length === 1) return join(dir, files[0]!);
  if (!files.length)
    throw new InvalidInput('no workflow given and none found in .github/workflows', {
      hint: 'eci-virtual run path/to/workflow.yml',
    });
  throw new InvalidInput(`several workflows in .github/workflows (${files.join(', ')}); name one`);
}

/**
 * The job's pod settings: `--placement` as the default, `.github/eci-virtual.yml` over it (the same model the
 * controller reads at head_sha), and the kaniko container when the settings enable it or a step uses build-image.
 */
export function jobPlacement(
  job: JobSpec,
  settings: RepoSettings | undefined,
  placementFlag: 'virtual' | 'any',
  kanikoImage: string | undefined,
): Pick<JobRunOptions, 'placement' | 'kaniko' | 'resources' | 'annotations' | 'imagePullPolicy'> {
  const wantsKaniko = job.buildsImages === true || settings?.imageCache.kaniko.enabled === true;
  if (wantsKaniko && !kanikoImage)
    throw new InvalidInput(`job ${job.id} builds images but no kaniko image is set`, {
      hint: 'pass --kaniko-image or set ECI_VIRTUAL_KANIKO_IMAGE (yarn engine up builds eci-virtual/kaniko)',
    });
  const kaniko = wantsKaniko ? { kaniko: { image: kanikoImage! } } : {};
  if (!settings) return { placement: placementFlag, ...kaniko };
  const p = placementFor(settings, job.id, {
    nodeType: placementFlag === 'virtual' ? 'virtual' : 'regular',
    cpu: '',
    memory: '',
    nodeSelector: {},
  });
  const annotations = placementAnnotations(p, settings.imageCache);
  return {
    placement: p.nodeType === 'virtual' ? 'virtual' : 'any',
    ...kaniko,
    ...(p.cpu || p.memory
      ? { resources: { ...(p.cpu ? { cpu: p.cpu } : {}), ...(p.memory ? { memory: p.memory } : {}) } }
      : {}),
    ...(Object.keys(annotations).length ? { annotations } : {}),
    imagePullPolicy: settings.imageCache.pullPolicy,
  };
}

const runFlags = (argv: string[]) =>
  parseFlags(argv, {
    job: { type: 'string' },
    jobs: { type: 'string' },
    matrix: { type: 'string', multiple: true },
    env: { type: 'string', multiple: true },
    secret: { type: 'string', multiple: true },
    'secret-file': { type: 'string' },
    'env-file': { type: 'string' },
    event: { type: 'string' },
    eventpath: { type: 'string' },
    list: { type: 'boolean', default: false },
    'action-cache': { type: 'string' },
    'github-api-url': { type: 'string' },
    placement: { type: 'string', default: 'virtual' },
    node: { type: 'string' },
    image: { type: 'string' },
    namespace: { type: 'string', default: 'default' },
    repository: { type: 'string' },
    'keep-pod': { type: 'boolean', default: false },
    'kaniko-image': { type: 'string' },
    'agent-image': { type: 'string' },
    'node-runtime-image': { type: 'string' },
    json: { type: 'boolean', default: false },
    kubeconfig: { type: 'string' },
    'pod-start-timeout': { type: 'string' },
  });

export async function runCommand(argv: string[]): Promise<number> {
  const { values, positionals } = runFlags(argv);
  if (values.placement !== 'virtual' && values.placement !== 'any')
    throw new InvalidInput(`--placement must be virtual or any, got "${values.placement}"`);
  const file = findWorkflow(positionals[0]);
  return runWorkflow(file, values, process.cwd());
}

async function runWorkflow(
  file: string,
  values: ReturnType<typeof runFlags>['values'],
  workspaceRoot: string,
): Promise<number> {
  const placement = values.placement as 'virtual' | 'any';
  const image = values.image ?? process.env.ECI_VIRTUAL_DEFAULT_IMAGE;
  const secrets = { ...readDotenvFile(values['secret-file'], 'secret-file'), ...keyValues(values.secret, 'secret') };
  const env = { ...readDotenvFile(values['env-file'], 'env-file'), ...keyValues(values.env, 'env') };
  const loadOpts = {
    workspaceRoot,
    ...(values.job ? { job: values.job } : {}),
    matrix: keyValues(values.matrix, 'matrix'),
  };
  const cacheNotes: string[] = [];
  const actionCache = new ActionCache(
    actionCacheDir(values['action-cache']),
    {
      apiUrl: values['github-api-url'] ?? DEFAULT_GITHUB_API_URL,
      ...(process.env.GITHUB_TOKEN ? { token: process.env.GITHUB_TOKEN } : {}),
    },
    (note) => cacheNotes.push(note),
  );
  const loaded = await loadWithRemoteActions((remote) => loadWorkflowJobs(file, { ...loadOpts, remote }), actionCache);
  loaded.warnings.push(...cacheNotes);
  const settingsFile = join(workspaceRoot, SETTINGS_PATH);
  const settings = existsSync(settingsFile)
    ? parseRepoSettings(readFileSync(settingsFile, 'utf8'), SETTINGS_PATH)
    : undefined;
  const kanikoImage = values['kaniko-image'] ?? process.env.ECI_VIRTUAL_KANIKO_IMAGE;
  const localGit = readLocalGit(workspaceRoot);
  const repository =
    values.repository ??
    localGit.remoteRepository ??
    `local/${relative(resolve(workspaceRoot, '..'), workspaceRoot) || 'repo'}`;
  const event = runEvent(
    {
      ...(values.event ? { name: values.event } : {}),
      ...(values.eventpath ? { payload: readEventFile(values.eventpath) } : {}),
    },
    localGit,
    repository,
  );
  if (values.list) {
    const rows = listJobs(loaded.jobs, {
      expressions: loaded.expressions,
      repository,
      defaultImage: image,
      env,
      shape: (spec) => jobPlacement(spec, settings, placement, kanikoImage),
    });
    process.stdout.write(
      values.json ? rows.map((r) => JSON.stringify({ event: 'job.listed', ...r })).join('\n') + '\n' : renderList(rows),
    );
    for (const w of loaded.warnings) process.stderr.write(`warning: ${w}\n`);
    return 0;
  }
  if (!image)
    throw new InvalidInput('no default job image: pass --image or set ECI_VIRTUAL_DEFAULT_IMAGE', {
      hint: 'jobs without container: run in this image',
    });
  const agentImageValue = values['agent-image'] ?? process.env.ECI_VIRTUAL_AGENT_IMAGE;
  const agentImage = agentImageValue && agentImageValue !== 'none' ? agentImageValue : undefined;
  const nodeRuntimeImage = values['node-runtime-image'] ?? process.env.ECI_VIRTUAL_NODE_RUNTIME_IMAGE;
  const concurrency = intFlag(values.jobs, 'jobs', DEFAULT_CONCURRENCY);
  if (concurrency < 1) throw new InvalidInput(`--jobs must be at least 1, got ${concurrency}`);
  const renderer = values.json ? new JsonRunRenderer() : new HumanRunRenderer();
  for (const w of loaded.warnings) renderer.warn(w);
  if (agentImageValue === undefined)
    renderer.warn(
      'no agent image (--agent-image or ECI_VIRTUAL_AGENT_IMAGE): every step runs as its own exec (on ECI, one ExecContainerCommand each)',
    );
  const kube = makeClients(loadKubeConfig(values.kubeconfig));
  const log = createLogger({ component: 'run' }, { level: process.env.ECI_VIRTUAL_LOG_LEVEL ? undefined : 'warn' });
  const abort = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    renderer.warn('cancelling (Ctrl-C again to quit without cleaning up)');
    abort.abort();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  const transport = new KubeExec(kube);
  const labelled = loaded.jobs.length > 1;
  const { results } = await runJobs({
    jobs: loaded.jobs,
    concurrency,
    signal: abort.signal,
    condition: (job, needs, status) =>
      loaded.expressions.condition(
        job.spec.if,
        new JobContexts({ job: job.spec, repository, secrets, needs, event }, loaded.expressions).get(),
        status,
      ),
    notRun: (job, conclusion, reason) => {
      const result = jobNotRun(job.spec, conclusion, reason);
      renderer.forJob(job.spec, labelled).jobFinished(result);
      return result;
    },
    run: (job, needs, signal) =>
      new JobRunner({
        kube,
        transport,
        namespace: values.namespace,
        job: job.spec,
        expressions: loaded.expressions,
        reporter: renderer.forJob(job.spec, labelled),
        log,
        defaultImage: image,
        repository,
        secrets,
        env,
        event,
        needs,
        ...jobPlacement(job.spec, settings, placement, kanikoImage),
        ...(agentImage ? { agentImage } : {}),
        ...(nodeRuntimeImage ? { nodeRuntimeImage } : {}),
        checkoutRoot: workspaceRoot,
        ...(values.node ? { nodeName: values.node } : {}),
        keepPod: values['keep-pod'],
        podStartTimeoutMs: intFlag(values['pod-start-timeout'], 'pod-start-timeout', 300) * 1000,
        signal,
      }).run(),
  });
  process.off('SIGINT', onSigint);
  process.off('SIGTERM', onSigint);
  const code = exitCode(results, abort.signal.aborted);
  renderer.finished(results, code);
  return code;
}
