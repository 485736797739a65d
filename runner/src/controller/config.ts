/**
 * Controller configuration: a YAML file (`--config`) plus environment variables for everything secret, so secrets come
 * from Kubernetes Secrets (env or mounted files) and never sit in a ConfigMap or in logs.
 *
 *   github:   { apiUrl, appId, installationId, privateKeyFile }   env: GITHUB_APP_PRIVATE_KEY, GITHUB_TOKEN
 *   webhookSecretFile                                             env: ECI_VIRTUAL_WEBHOOK_SECRET
 *   scope:    { repositories: [owner/name, ...] } | { org: name, repositories?: [...] }
 *   labels, runnerGroupId, namespace, maxConcurrentJobs, pollIntervalSeconds, pollRunsPerRound, runner, placement, prices, portal, listen,
 *   registries: { insecure, credentialsFile, platform }, workloads: { controllerUrl }, idleReapSeconds,
 *   bindStalledPodsAfterSeconds
 *   leaderElection: { enabled, leaseName, identity, leaseDurationSeconds, renewDeadlineSeconds, retryPeriodSeconds }
 *                                                                 env: POD_NAME (the default identity)
 *   deliveryTtlMinutes
 *   history:  { driver: sqlite | postgres, retentionDays, sqlite: { path }, postgres: { urlFile, passwordFile } }
 *                                                                 env: ECI_VIRTUAL_HISTORY_URL, ECI_VIRTUAL_HISTORY_PASSWORD
 *   imageCacheAutopilot: { enabled, backend: eci | docker, intervalSeconds, windowDays, budget: { maxSets, maxTotalGiB },
 *                          minWeight, minUses, maxChangesPerPass, eci: { region, vSwitchId, securityGroupId, ... },
 *                          docker: { host } }   (image-cache-autopilot/autopilot-config.ts)
 *                                                                 env: ALIBABA_CLOUD_* (eci/credentials.ts)
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { parse } from 'yaml';
import { InvalidInput } from '@eci-virtual/contract';
import type { GitHubAuth, RunnerScope } from './github/github-client.js';
import { REPO_PATTERN } from './github/workflow-job.js';
import { DEFAULT_TIMING, validateTiming, type ElectionTiming } from './leadership/leader-elector.js';
import { parseAutopilotConfig, type AutopilotConfig } from './image-cache-autopilot/autopilot-config.js';

export interface PlacementDefaults {
  nodeType: 'virtual' | 'regular';
  cpu: string;
  memory: string;
  nodeSelector: Record<string, string>;
  eciSpecs?: string[];
}

export interface ControllerConfig {
  apiUrl: string;
  auth: GitHubAuth;
  webhookSecret: string;
  /** Where JIT runners are registered. */
  runnerScope: RunnerScope;
  /** Repositories polled for queued jobs (webhooks are not guaranteed). */
  repositories: string[];
  labels: string[];
  runnerGroupId: number;
  namespace: string;
  maxConcurrentJobs: number;
  pollIntervalSeconds: number;
  /**
   * Runs whose jobs one poll round reads per repository; the rest are read in later rounds (run-rotation.ts), so a
   * burst of runs does not turn every round into a call per run.
   */
  pollRunsPerRound: number;
  gcIntervalSeconds: number;
  runner: {
    image: string;
    /** Command of the runner container; default the official image's `/home/runner/run.sh`. */
    command: string[];
    /** Image with our hooks bundle under /eci-hooks (copied into the runner container by an init container). */
    hooksImage: string;
    workDir: string;
    /** Copy the runner's externals (node for JS actions) into the job container at /__e. */
    copyExternals: boolean;
    imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never';
    /** Extra env for the runner container (non-secret). */
    env: Record<string, string>;
  };
  /** The kaniko container of jobs that build images (settings `imageCache.kaniko.enabled`, or a build-image step). */
  kaniko: {
    image: string;
    /** Secret with a Docker `config.json` key, mounted only into the kaniko container (push credentials). */
    registrySecret?: string;
  };
  placement: PlacementDefaults;
  prices: { vcpuSecondUsd: number; gibSecondUsd: number };
  portal: { token?: string };
  listen: { host: string; port: number };
  recordsTtlDays: number;
  /** Max job pods one repository may hold while others wait (fair share); default = maxConcurrentJobs. */
  maxJobsPerRepo: number;
  /**
   * How the controller reads service images' configs (registry/client.ts): registries reached over plain http
   * (loopback ones always are), a Docker `config.json` with pull credentials (a mounted Secret), and the platform
   * of the nodes (`linux/amd64`; default the controller's own).
   */
  registries?: { insecure: string[]; credentialsFile?: string; platform?: string };
  /**
   * Workload pods (controller/workloads/): where the runner pods' hooks reach this controller; unset, runners get
   * no token and a runner that took a job of another shape fails it as before. The token key comes from
   * `ECI_VIRTUAL_WORKLOAD_KEY` (or `workloads.keyFile`), else it is derived from the webhook secret.
   */
  workloads: { controllerUrl?: string; key?: string };
  /** A runner pod whose own job finished elsewhere and whose runner idles is reaped within this many seconds. */
  idleReapSeconds: number;
  /**
   * Our pods that wait for the scheduler this long are bound to a fitting virtual node by the leader
   * (scheduling/stalled-pod-binder.ts); 0 leaves scheduling to the scheduler alone.
   */
  bindStalledPodsAfterSeconds: number;
  /**
   * Replicas elect a leader on a Lease in `namespace`; only the leader launches, reconciles, polls and cleans up.
   * `identity` must differ between replicas and stay the same across restarts of one (the pod name).
   */
  leaderElection: { enabled: boolean; leaseName: string; identity: string; timing: ElectionTiming };
  /** How long an accepted webhook delivery is remembered (handed to the leader, then kept to drop redeliveries). */
  deliveryTtlMinutes: number;
  /**
   * The job history database (controller/history/): SQLite in one file (default; one replica owns it) or PostgreSQL
   * (several replicas). Jobs queued more than `retentionDays` ago are deleted. The PostgreSQL URL and password come
   * from a Secret (env or mounted files), never from the config map.
   */
  history: {
    driver: 'sqlite' | 'postgres';
    retentionDays: number;
    sqlite: { path: string };
    postgres: { url: string; password?: string };
  };
  /**
   * The image-cache autopilot (image-cache-autopilot/): off by default. When on, the leader keeps warm image sets for
   * the images jobs use (ECI image caches, or pre-pulls on a docker engine) and, on ECI, the job pods ask for
   * automatic image cache matching.
   */
  imageCacheAutopilot: AutopilotConfig;
}

type Raw = Record<string, unknown>;

const obj = (v: unknown, what: string): Raw => {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new InvalidInput(`${what} must be a mapping`);
  return v as Raw;
};
const optString = (v: unknown, what: string): string | undefined => {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string' && typeof v !== 'number') throw new InvalidInput(`${what} must be a string`);
  return String(v);
};
const posInt = (v: unknown, what: string, fallback: number): number => {
  if (v === undefined || v === null) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0)
    throw new InvalidInput(`${what} must be a positive integer, got ${JSON.stringify(v)}`);
  return n;
};
const nonNegInt = (v: unknown, what: string, fallback: number): number => {
  if (v === undefined || v === null) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0)
    throw new InvalidInput(`${what} must be a whole number of seconds (0 turns it off), got ${JSON.stringify(v)}`);
  return n;
};
const posSeconds = (v: unknown, what: string, fallbackMs: number): number =>
  v === undefined || v === null ? fallbackMs : posInt(v, what, 0) * 1000;
const stringList = (v: unknown, what: string): string[] | undefined => {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || !x))
    throw new InvalidInput(`${what} must be a list of strings`);
  return v as string[];
};
const stringMap = (v: unknown, what: string): Record<string, string> => {
  const o = obj(v, what);
  for (const [k, x] of Object.entries(o))
    if (typeof x !== 'string') throw new InvalidInput(`${what}.${k} must be a string`);
  return o as Record<string, string>;
};
const secretFrom = (
  env: NodeJS.ProcessEnv,
  envName: string,
  file: string | undefined,
  optional = false,
): string | undefined => {
  if (env[envName]) return env[envName];
  if (file && optional && !existsSync(file)) return undefined;
  if (file) {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch (err) {
      throw new InvalidInput(`cannot read ${file}: ${(err as Error).message}`);
    }
  }
  return undefined;
};

export function parseControllerConfig(raw: unknown, env: NodeJS.ProcessEnv = process.env): ControllerConfig {
  const root = obj(raw, 'config');
  const gh = obj(root.github, 'github');
  const apiUrl = optString(gh.apiUrl, 'github.apiUrl') ?? env.GITHUB_API_URL ?? 'https://api.github.com';
  if (!/^https?:\/\/[^/]+/.test(apiUrl))
    throw new InvalidInput(`github.apiUrl must be an http(s) URL, got "${apiUrl}"`);
  const appId = optString(gh.appId, 'github.appId') ?? env.GITHUB_APP_ID;
  const installationId = optString(gh.installationId, 'github.installationId') ?? env.GITHUB_APP_INSTALLATION_ID;
  const privateKey = secretFrom(env, 'GITHUB_APP_PRIVATE_KEY', optString(gh.privateKeyFile, 'github.privateKeyFile'));
  const token = secretFrom(env, 'GITHUB_TOKEN', optString(gh.tokenFile, 'github.tokenFile'), !!appId);
  let auth: GitHubAuth;
  if (appId) {
    if (!installationId || !privateKey)
      throw new InvalidInput('a GitHub App needs github.installationId and a private key', {
        hint: 'set GITHUB_APP_PRIVATE_KEY or github.privateKeyFile (a mounted Secret)',
      });
    auth = { kind: 'app', appId, installationId, privateKey };
  } else if (token) auth = { kind: 'token', token };
  else
    throw new InvalidInput('no GitHub credentials', {
      hint: 'configure github.appId/installationId/privateKeyFile (GitHub App) or GITHUB_TOKEN (PAT)',
    });
  const webhookSecret = secretFrom(
    env,
    'ECI_VIRTUAL_WEBHOOK_SECRET',
    optString(root.webhookSecretFile, 'webhookSecretFile'),
  );
  if (!webhookSecret)
    throw new InvalidInput('no webhook secret', { hint: 'set ECI_VIRTUAL_WEBHOOK_SECRET or webhookSecretFile' });

  const scope = obj(root.scope, 'scope');
  const org = optString(scope.org, 'scope.org');
  const repositories = stringList(scope.repositories, 'scope.repositories') ?? [];
  for (const r of repositories)
    if (!REPO_PATTERN.test(r)) throw new InvalidInput(`scope.repositories: "${r}" is not owner/name`);
  if (!org && repositories.length !== 1)
    throw new InvalidInput('scope needs `org`, or exactly one entry in `repositories` for a repository runner');
  const runnerScope: RunnerScope = org ? { kind: 'org', org } : { kind: 'repo', repo: repositories[0]! };

  const runner = obj(root.runner, 'runner');
  const placement = obj(root.placement, 'placement');
  const kaniko = obj(root.kaniko, 'kaniko');
  const nodeType = optString(placement.nodeType, 'placement.nodeType') ?? 'virtual';
  if (nodeType !== 'virtual' && nodeType !== 'regular')
    throw new InvalidInput(`placement.nodeType must be virtual or regular, got "${nodeType}"`);
  const pull = optString(runner.imagePullPolicy, 'runner.imagePullPolicy') ?? 'IfNotPresent';
  if (!['Always', 'IfNotPresent', 'Never'].includes(pull))
    throw new InvalidInput(`runner.imagePullPolicy must be Always, IfNotPresent or Never, got "${pull}"`);
  const prices = obj(root.prices, 'prices');
  const listen = obj(root.listen, 'listen');
  const maxConcurrentJobs = posInt(root.maxConcurrentJobs, 'maxConcurrentJobs', 50);
  const eciSpecs = stringList(placement.eciSpecs, 'placement.eciSpecs');
  const registries = obj(root.registries, 'registries');
  const platform = optString(registries.platform, 'registries.platform');
  if (platform && !/^[a-z0-9]+\/[a-z0-9]+(\/[a-z0-9]+)?$/.test(platform))
    throw new InvalidInput(`registries.platform must be os/arch[/variant], got "${platform}"`);
  const credentialsFile = optString(registries.credentialsFile, 'registries.credentialsFile');
  const portalToken = secretFrom(
    env,
    'ECI_VIRTUAL_PORTAL_TOKEN',
    optString(obj(root.portal, 'portal').tokenFile, 'portal.tokenFile'),
    true,
  );
  const election = obj(root.leaderElection, 'leaderElection');
  const identity =
    optString(election.identity, 'leaderElection.identity') ??
    env.POD_NAME ??
    `${hostname()}-${randomBytes(4).toString('hex')}`;
  return {
    apiUrl,
    auth,
    webhookSecret,
    runnerScope,
    repositories,
    labels: stringList(root.labels, 'labels') ?? ['eci-virtual'],
    runnerGroupId: posInt(root.runnerGroupId, 'runnerGroupId', 1),
    namespace: optString(root.namespace, 'namespace') ?? env.ECI_VIRTUAL_NAMESPACE ?? 'eci-jobs',
    maxConcurrentJobs,
    maxJobsPerRepo: posInt(root.maxJobsPerRepo, 'maxJobsPerRepo', maxConcurrentJobs),
    pollIntervalSeconds: posInt(root.pollIntervalSeconds, 'pollIntervalSeconds', 30),
    pollRunsPerRound: posInt(root.pollRunsPerRound, 'pollRunsPerRound', 100),
    gcIntervalSeconds: posInt(root.gcIntervalSeconds, 'gcIntervalSeconds', 60),
    runner: {
      image: optString(runner.image, 'runner.image') ?? 'ghcr.io/actions/actions-runner:latest',
      command: stringList(runner.command, 'runner.command') ?? ['/home/runner/run.sh'],
      hooksImage: optString(runner.hooksImage, 'runner.hooksImage') ?? 'ghcr.io/eci-virtual/hooks:0.1.0',
      workDir: optString(runner.workDir, 'runner.workDir') ?? '/home/runner/_work',
      copyExternals: runner.copyExternals === undefined ? true : runner.copyExternals === true,
      imagePullPolicy: pull as ControllerConfig['runner']['imagePullPolicy'],
      env: stringMap(runner.env, 'runner.env'),
    },
    kaniko: {
      image: optString(kaniko.image, 'kaniko.image') ?? 'ghcr.io/eci-virtual/kaniko:v1.27.5',
      ...(optString(kaniko.registrySecret, 'kaniko.registrySecret')
        ? { registrySecret: optString(kaniko.registrySecret, 'kaniko.registrySecret')! }
        : {}),
    },
    placement: {
      nodeType,
      cpu: optString(placement.cpu, 'placement.cpu') ?? '1',
      memory: optString(placement.memory, 'placement.memory') ?? '2Gi',
      nodeSelector: stringMap(placement.nodeSelector, 'placement.nodeSelector'),
      ...(eciSpecs ? { eciSpecs } : {}),
    },
    prices: {
      vcpuSecondUsd: Number(prices.vcpuSecondUsd ?? 0.0000077),
      gibSecondUsd: Number(prices.gibSecondUsd ?? 0.00000096),
    },
    portal: portalToken ? { token: portalToken } : {},
    listen: {
      host: optString(listen.host, 'listen.host') ?? '0.0.0.0',
      port: posInt(listen.port, 'listen.port', 8080),
    },
    recordsTtlDays: posInt(root.recordsTtlDays, 'recordsTtlDays', 14),
    registries: {
      insecure: stringList(registries.insecure, 'registries.insecure') ?? [],
      ...(credentialsFile ? { credentialsFile } : {}),
      ...(platform ? { platform } : {}),
    },
    workloads: workloadsConfig(obj(root.workloads, 'workloads'), env),
    idleReapSeconds: posInt(root.idleReapSeconds, 'idleReapSeconds', 60),
    bindStalledPodsAfterSeconds: nonNegInt(root.bindStalledPodsAfterSeconds, 'bindStalledPodsAfterSeconds', 10),
    leaderElection: {
      enabled: election.enabled === undefined ? true : election.enabled === true,
      leaseName: optString(election.leaseName, 'leaderElection.leaseName') ?? 'eci-virtual-controller',
      identity,
      timing: validateTiming({
        leaseDurationMs: posSeconds(
          election.leaseDurationSeconds,
          'leaderElection.leaseDurationSeconds',
          DEFAULT_TIMING.leaseDurationMs,
        ),
        renewDeadlineMs: posSeconds(
          election.renewDeadlineSeconds,
          'leaderElection.renewDeadlineSeconds',
          DEFAULT_TIMING.renewDeadlineMs,
        ),
        retryPeriodMs: posSeconds(
          election.retryPeriodSeconds,
          'leaderElection.retryPeriodSeconds',
          DEFAULT_TIMING.retryPeriodMs,
        ),
      }),
    },
    deliveryTtlMinutes: posInt(root.deliveryTtlMinutes, 'deliveryTtlMinutes', 60),
    history: historyConfig(obj(root.history, 'history'), env),
    imageCacheAutopilot: parseAutopilotConfig(root.imageCacheAutopilot),
  };
}

export const DEFAULT_SQLITE_PATH = '/var/lib/eci-virtual/history/jobs.db';

function historyConfig(h: Raw, env: NodeJS.ProcessEnv): ControllerConfig['history'] {
  const driver = optString(h.driver, 'history.driver') ?? 'sqlite';
  if (driver !== 'sqlite' && driver !== 'postgres')
    throw new InvalidInput(`history.driver must be sqlite or postgres, got "${driver}"`);
  const sqlite = obj(h.sqlite, 'history.sqlite');
  const postgres = obj(h.postgres, 'history.postgres');
  const url = secretFrom(env, 'ECI_VIRTUAL_HISTORY_URL', optString(postgres.urlFile, 'history.postgres.urlFile'), true);
  const password = secretFrom(
    env,
    'ECI_VIRTUAL_HISTORY_PASSWORD',
    optString(postgres.passwordFile, 'history.postgres.passwordFile'),
    true,
  );
  if (driver === 'postgres' && !url)
    throw new InvalidInput('history.driver is postgres but no connection URL is configured', {
      hint: 'set ECI_VIRTUAL_HISTORY_URL or history.postgres.urlFile (a mounted Secret)',
    });
  if (url && !/^postgres(ql)?:\/\//.test(url))
    throw new InvalidInput('the history connection URL must start with postgres:// or postgresql://');
  return {
    driver,
    retentionDays: posInt(h.retentionDays, 'history.retentionDays', 90),
    sqlite: { path: optString(sqlite.path, 'history.sqlite.path') ?? DEFAULT_SQLITE_PATH },
    postgres: { url: url ?? '', ...(password !== undefined ? { password } : {}) },
  };
}

function workloadsConfig(w: Raw, env: NodeJS.ProcessEnv): ControllerConfig['workloads'] {
  const controllerUrl = optString(w.controllerUrl, 'workloads.controllerUrl');
  if (controllerUrl && !/^https?:\/\/[^/]+/.test(controllerUrl))
    throw new InvalidInput(`workloads.controllerUrl must be an http(s) URL, got "${controllerUrl}"`);
  const key = secretFrom(env, 'ECI_VIRTUAL_WORKLOAD_KEY', optString(w.keyFile, 'workloads.keyFile'), true);
  return { ...(controllerUrl ? { controllerUrl: controllerUrl.replace(/\/+$/, '') } : {}), ...(key ? { key } : {}) };
}

export function loadControllerConfig(path: string | undefined, env: NodeJS.ProcessEnv = process.env): ControllerConfig {
  let raw: unknown = {};
  if (path) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new InvalidInput(`cannot read config ${path}: ${(err as Error).message}`);
    }
    try {
      raw = parse(text) ?? {};
    } catch (err) {
      throw new InvalidInput(`config ${path} is not valid YAML: ${(err as Error).message}`);
    }
  }
  return parseControllerConfig(raw, env);
}
