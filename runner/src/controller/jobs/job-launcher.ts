/**
 * Creates everything one job needs, idempotently (names derive from the job's runner slot, naming.ts; AlreadyExists
 * is success): plan (workflow + repository settings at head_sha) → JIT runner config in a Secret →
 * ServiceAccount/Role/RoleBinding → the job pod. A crash at any point is repaired by the next attempt (poll or
 * redelivery). A job whose runner took another job gets its next slot: the same, under new names.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { ANNOTATION, Conflict } from '@eci-virtual/contract';
import { apiStatus, type KubeClients } from '../../kube/client.js';
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

export async function ensureJitSecret(deps: LaunchDeps, job: WorkflowJob, slot = String(job.id)): Promise<number> {
  const { kube, config } = deps;
  const existing = await kube.core
    .readNamespacedSecret({ name: jitSecretName(slot), namespace: config.namespace })
    .catch((err) => {
      if (apiStatus(err) === 404) return undefined;
      throw err;
    });
  const known = existing?.metadata?.annotations?.[ANNOTATION.runnerId];
  if (known) return Number(known);
  const req = {
    name: runnerName(slot),
    labels: runnerLabels(job.labels, config.labels),
    runnerGroupId: config.runnerGroupId,
    workFolder: '_work',
  };
  let jit;
  try {
    jit = await deps.github.generateJitConfig(config.runnerScope, req);
  } catch (err) {
    // A runner of this name exists (we crashed after registering it): remove it and register again.
    if (!(err instanceof Conflict)) throw err;
    const stale = (await deps.github.listRunners(config.runnerScope)).find((r) => r.name === req.name);
    if (!stale) throw err;
    await deps.github.deleteRunner(config.runnerScope, stale.id);
    jit = await deps.github.generateJitConfig(config.runnerScope, req);
  }
  const token = config.workloads.controllerUrl
    ? workloadToken(workloadKey(config), config.namespace, jobResourceName(slot))
    : undefined;
  const secret = jitSecret(job, config.namespace, jit.encodedJitConfig, token, slot);
  secret.metadata!.annotations = { [ANNOTATION.runnerId]: String(jit.runnerId) };
  await kube.core.createNamespacedSecret({ namespace: config.namespace, body: secret }).catch(ignoreExists);
  return jit.runnerId;
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
    timed(
      'identity',
      Promise.all([
        kube.core
          .createNamespacedServiceAccount({ namespace: ns, body: jobServiceAccount(job, ns, slot) })
          .catch(ignoreExists),
        kube.rbac.createNamespacedRole({ namespace: ns, body: jobRole(job, ns, slot) }).catch(ignoreExists),
        kube.rbac
          .createNamespacedRoleBinding({ namespace: ns, body: jobRoleBinding(job, ns, slot) })
          .catch(ignoreExists),
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
  const annotations = placementAnnotations(placement, settings.imageCache, { noSpot: job.runAttempt > 1 });
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
    created = await kube.core.createNamespacedPod({ namespace: ns, body: pod });
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
    cachedImages: settings.imageCache.images,
    ...(p.unresolved ? { planProblem: p.unresolved } : {}),
  };
}
