/**
 * Creates everything one job needs, idempotently (names derive from the job's runner slot, naming.ts; AlreadyExists
 * is success): plan (workflow + repository settings at head_sha) → JIT runner config in a Secret →
 * ServiceAccount/Role/RoleBinding → the job pod. A crash at any point is repaired by the next attempt (poll or
 * redelivery). A job whose runner took another job gets its next slot: the same, under new names.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { V1Pod, V1Secret } from '@kubernetes/client-node';
import { ANNOTATION, Conflict } from '@eci-virtual/contract';
import { apiStatus, type KubeClients } from '../../kube/client.js';
import { retryTransient } from '../../kube/retrying.js';
import type { Logger } from '../../observability/logger.js';
import type { ControllerConfig } from '../config.js';
import type { GitHubClient } from '../github/github-client.js';
import { runnerLabels, type WorkflowJob } from '../github/workflow-job.js';
import { placementAnnotations, placementFor, type RepoSettings } from '../settings/repo-settings.js';
import { readRepoSettings } from '../settings/repo-settings-reader.js';
import { jitSecret, jobRole, jobRoleBinding, jobServiceAccount } from './job-identity.js';
import { planJob, type JobPlan } from './job-plan.js';
import { jitSecretName, jobResourceName, runnerName } from './naming.js';
import { registryFor } from './registry-for.js';
import { workloadKey, workloadToken } from '../workloads/workload-token.js';
import { buildRunnerPod } from './runner-pod.js';
import { podImageRoles, type RoledImage } from '../image-cache-autopilot/image-uses.js';
import { podsAutoMatch } from '../image-cache-autopilot/autopilot-config.js';
import { resolveServiceCommands, type ImageConfigSource, type ServiceCommands } from './service-commands.js';

export interface LaunchDeps {
  kube: KubeClients;
  github: GitHubClient;
  config: ControllerConfig;
  log: Logger;
  /** Reads service images' configs; default the client for `config.registries` (registry-for.ts). */
  registry?: ImageConfigSource;
}

const ignoreExists = (err: unknown) => {
  if (apiStatus(err) !== 409) throw err;
};

/** The job's plan (workflow at head_sha), its repository's settings and its held services' commands. */
export async function plan(
  deps: LaunchDeps,
  job: WorkflowJob,
): Promise<{ plan: JobPlan; settings: RepoSettings; services: ServiceCommands }> {
  const [workflowPath, settings] = await Promise.all([
    deps.github.getRunWorkflowPath(job.repo, job.runId),
    readRepoSettings(deps.github, job.repo, job.headSha, deps.log),
  ]);
  const text = await deps.github.getFileText(job.repo, workflowPath, job.headSha);
  const p =
    text === undefined
      ? { services: [], stepImages: [], unresolved: `${workflowPath} not found at ${job.headSha}` }
      : planJob(text, workflowPath, job.name);
  // Service images' own commands, for their agents to hold until prepare_job hands them the evaluated env.
  const services = await resolveServiceCommands(deps.registry ?? registryFor(deps.config), p.services);
  if (services.problems.length) p.unresolved = [p.unresolved, ...services.problems].filter(Boolean).join('; ');
  return { plan: p, settings, services };
}

/**
 * How long a launch waits for another launch of the same slot (one that claimed the slot's Secret first) to register
 * its runner, before taking the claim over: a live launch registers within a second or two; a claim older than this
 * was most likely left by a launch that died (its controller killed between the claim and the registration). Taking
 * over a live claim is safe, only wasteful: the fill-in is conditional, so the slower launch's fill fails and its
 * runner is removed.
 */
export const CLAIM_WAIT_MS = 10_000;

/**
 * The slot's runner registration, made at most once however many launches of the slot run at the same time (two
 * leader terms overlap for a moment: the old one's launches are still in flight when the new one lists the pods).
 * The slot's Secret is the lock: a launch first creates it empty (the claim), registers the runner, then fills it
 * in under the claim's resourceVersion. A launch that finds a claim waits for its runner; only a launch holding the
 * claim may remove a runner left under the slot's name — without the claim it could be removing the runner another
 * launch is about to put into its pod (whose runner then finds its registration gone and exits without a job).
 */
export async function ensureJitSecret(deps: LaunchDeps, job: WorkflowJob, slot = String(job.id)): Promise<number> {
  const { kube, config } = deps;
  const namespace = config.namespace;
  const name = jitSecretName(slot);
  // Each call rides out an API server restart or a cut connection: a launch given up here leaves its claim behind.
  const read = () =>
    retryTransient(() => kube.core.readNamespacedSecret({ name, namespace }), API_RETRY).catch((err) => {
      if (apiStatus(err) === 404) return undefined;
      throw err;
    });
  const token = config.workloads.controllerUrl
    ? workloadToken(workloadKey(config), namespace, jobResourceName(slot))
    : undefined;
  const waitUntil = Date.now() + CLAIM_WAIT_MS;
  const create = () =>
    retryTransient(
      () => kube.core.createNamespacedSecret({ namespace, body: jitSecret(job, namespace, undefined, token, slot) }),
      API_RETRY,
    ).catch((err) => {
      if (apiStatus(err) === 409) return undefined; // another launch claimed it first
      throw err;
    });
  // A new slot has no Secret yet: claiming first saves a read per launch; a 409 says someone got there first.
  let claim: V1Secret | undefined = await create();
  while (!claim) {
    const existing = await read();
    const known = existing?.metadata?.annotations?.[ANNOTATION.runnerId];
    if (known) return Number(known);
    if (!existing) {
      claim = await create();
      continue;
    }
    if (Date.now() < waitUntil) {
      await sleep(250);
      continue;
    }
    // The claim's launch died: take it over (one launch wins: the replace carries the resourceVersion seen).
    claim = await retryTransient(
      () =>
        kube.core.replaceNamespacedSecret({
          name,
          namespace,
          body: withVersion(jitSecret(job, namespace, undefined, token, slot), existing),
        }),
      API_RETRY,
    ).catch((err) => {
      if (apiStatus(err) === 409) return undefined;
      throw err;
    });
  }
  // Released whenever this launch gives up, so the next attempt need not wait the claim out.
  const release = () =>
    kube.core
      .deleteNamespacedSecret({ name, namespace, body: { preconditions: versionOf(claim) } })
      .catch(() => undefined);
  const jit = await registerRunner(deps, job, slot).catch(async (err: unknown) => {
    await release();
    throw err;
  });
  const filled = withVersion(jitSecret(job, namespace, jit.encodedJitConfig, token, slot), claim);
  filled.metadata!.annotations = { [ANNOTATION.runnerId]: String(jit.runnerId) };
  try {
    await retryTransient(() => kube.core.replaceNamespacedSecret({ name, namespace, body: filled }), API_RETRY);
  } catch (err) {
    // A retried fill-in may have landed the first time (its answer lost): then the Secret holds our runner.
    const now = await read().catch(() => undefined);
    if (now?.metadata?.annotations?.[ANNOTATION.runnerId] === String(jit.runnerId)) return jit.runnerId;
    // Taken over meanwhile (we were too slow): the other launch's runner is the slot's; ours goes.
    await deps.github.deleteRunner(config.runnerScope, jit.runnerId).catch(() => undefined);
    if (apiStatus(err) !== 409) await release();
    throw err;
  }
  return jit.runnerId;
}

/** API calls of a launch retry an API server restart for this long, then the launch fails (the poller retries it). */
const API_RETRY = { withinMs: 30_000 };

const versionOf = (s: V1Secret | undefined) =>
  s?.metadata?.resourceVersion ? { resourceVersion: s.metadata.resourceVersion } : {};

/** `secret` as a replacement of `seen`: the API server refuses it (409) if `seen` changed since it was read. */
const withVersion = (secret: V1Secret, seen: V1Secret | undefined): V1Secret => ({
  ...secret,
  metadata: { ...secret.metadata, ...versionOf(seen) },
});

/** Registers the slot's JIT runner; a runner of that name left by a launch that died is removed first. */
async function registerRunner(deps: LaunchDeps, job: WorkflowJob, slot: string) {
  const { config } = deps;
  const req = {
    name: runnerName(slot),
    labels: runnerLabels(job.labels, config.labels),
    runnerGroupId: config.runnerGroupId,
    workFolder: '_work',
  };
  try {
    return await deps.github.generateJitConfig(config.runnerScope, req);
  } catch (err) {
    // Only the claim's holder gets here: a runner of this name was registered by a launch that died.
    if (!(err instanceof Conflict)) throw err;
    const stale = (await deps.github.listRunners(config.runnerScope)).find((r) => r.name === req.name);
    if (!stale) throw err;
    await deps.github.deleteRunner(config.runnerScope, stale.id);
    return deps.github.generateJitConfig(config.runnerScope, req);
  }
}

/** What a launch created, for the job's record (lifecycle/job-lifecycle.ts `podCreated`). */
export interface LaunchedPod {
  namespace: string;
  name: string;
  /** When the API server accepted the pod. */
  createdAt: string;
  resources: { cpu: string; memory: string };
  /** The ECI specs asked for, if any. */
  eciSpecs?: string[];
  /** The pod asked for spot capacity (`placement.spot: prefer`). */
  spot?: boolean;
  /** The distinct images of the pod's containers. */
  images: string[];
  /** Every image of the pod, init containers included, with its role (image-cache-autopilot/image-uses.ts). */
  imageRoles: RoledImage[];
  /** The repository's `imageCache.images`; whether a cache served the pod is read later from its events. */
  cachedImages: string[];
  /** Why the plan is partial (`JobPlan.unresolved`), if it is. */
  planProblem?: string;
}

/**
 * Returns what it created, or undefined when the pod already existed. Writes no job record: the caller hands the
 * result to the job lifecycle, without holding up the next launch. `slot` is the job's runner slot (naming.ts).
 */
export async function launchJob(
  deps: LaunchDeps,
  job: WorkflowJob,
  slot = String(job.id),
): Promise<LaunchedPod | undefined> {
  const { kube, config } = deps;
  const ns = config.namespace;
  const log = deps.log.child({ job: job.id, repo: job.repo, ...(slot !== String(job.id) ? { slot } : {}) });
  // The caller checked its pod cache; a pod that exists anyway ends in a 409 below, which is success.
  const t0 = performance.now();
  // Everything before the pod is independent: plan, runner registration and identity run in parallel.
  // How long each part took, for the log: which one holds a launch up.
  const took: Record<string, number> = {};
  const timed = <T>(part: string, p: Promise<T>): Promise<T> =>
    p.finally(() => (took[part] = Math.round(performance.now() - t0)));
  const [{ plan: p, settings, services }, runnerId] = await Promise.all([
    timed('plan', plan(deps, job)),
    timed('runner', ensureJitSecret(deps, job, slot)),
    // Creates ride out a cut connection or an API server restart: one that landed before its answer was lost is
    // answered 409 the second time, which is success here.
    timed(
      'identity',
      Promise.all([
        retryTransient(
          () => kube.core.createNamespacedServiceAccount({ namespace: ns, body: jobServiceAccount(job, ns, slot) }),
          API_RETRY,
        ).catch(ignoreExists),
        retryTransient(
          () => kube.rbac.createNamespacedRole({ namespace: ns, body: jobRole(job, ns, slot) }),
          API_RETRY,
        ).catch(ignoreExists),
        retryTransient(
          () => kube.rbac.createNamespacedRoleBinding({ namespace: ns, body: jobRoleBinding(job, ns, slot) }),
          API_RETRY,
        ).catch(ignoreExists),
      ]),
    ),
  ]);
  const t1 = performance.now();
  if (p.unresolved)
    log.warn('job pod not fully resolved up front (missing containers are named by the hooks)', {
      problem: p.unresolved,
    });
  const placement = placementFor(settings, p.jobKey, config.placement);
  // A re-run attempt goes pay-as-you-go: a job re-run after a spot reclaim is never reclaimed (nor re-run) again.
  const annotations = placementAnnotations(placement, settings.imageCache, {
    noSpot: job.runAttempt > 1,
    autoMatch: podsAutoMatch(config),
  });
  const pod = buildRunnerPod({
    job,
    plan: p,
    config: {
      ...config,
      runner: {
        ...config.runner,
        imagePullPolicy:
          settings.imageCache.pullPolicy === 'IfNotPresent'
            ? config.runner.imagePullPolicy
            : settings.imageCache.pullPolicy,
      },
    },
    placement: { ...placement, annotations },
    runnerId,
    slot,
    serviceCommands: services.held,
    ...(settings.imageCache.kaniko.enabled || p.buildsImages ? { kaniko: config.kaniko } : {}),
  });
  let created: V1Pod;
  try {
    created = await retryTransient(() => kube.core.createNamespacedPod({ namespace: ns, body: pod }), API_RETRY);
  } catch (err) {
    if (apiStatus(err) === 409) return undefined;
    throw err;
  }
  const createdAt = new Date().toISOString();
  log.info('job pod created', {
    pod: created.metadata!.name,
    runnerId,
    ms: { prepare: Math.round(t1 - t0), ...took, pod: Math.round(performance.now() - t1) },
  });
  return {
    namespace: ns,
    name: created.metadata!.name!,
    createdAt,
    resources: { cpu: placement.cpu, memory: placement.memory },
    ...(placement.eciSpecs ? { eciSpecs: placement.eciSpecs } : {}),
    ...(annotations[ANNOTATION.spot] ? { spot: true } : {}),
    images: created.spec!.containers.map((c) => c.image!).filter((i, n, all) => all.indexOf(i) === n),
    imageRoles: podImageRoles(created),
    cachedImages: settings.imageCache.images,
    ...(p.unresolved ? { planProblem: p.unresolved } : {}),
  };
}
