/**
 * `POST /v1/workloads` and `DELETE /v1/workloads/{runner pod}`: the controller as matchmaker (contract workload.ts).
 * A runner pod's `prepare_job` hook names its pod, the images the runner evaluated and whether its own pod holds
 * them; the controller learns which job that runner really took (runner-jobs.ts), and answers:
 *
 *   - `own` when the runner's pod fits that job: the images match (the hook checked) and the job is the pod's own,
 *     or another job of the same shape (step images, kaniko, cpu/memory);
 *   - else `workload`: it builds W for that job (workload-pod.ts) from the job's plan and settings and the runner's
 *     evaluated args, with a pull Secret from the registry credentials, and answers once W runs and has an IP
 *     (202 with W's phase before that; each call waits up to WAIT_MS, and asking again is idempotent).
 *
 * Only the runner pod's own token (workload-token.ts) is accepted; the controller, not the job, creates pods and
 * Secrets, so a job's identity stays limited to its own pod.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { V1Pod, V1Secret } from '@kubernetes/client-node';
import {
  ANNOTATION,
  COMPONENT,
  CONTAINER,
  describeError,
  InvalidInput,
  isStepContainer,
  LABEL,
  type WorkloadAnswer,
  type WorkloadContainerArgs,
  type WorkloadRequest,
} from '@eci-virtual/contract';
import { apiStatus } from '../../kube/client.js';
import type { WorkflowJob } from '../github/workflow-job.js';
import { plan, type LaunchDeps, type LaunchedPod } from '../jobs/job-launcher.js';
import { podImageRoles } from '../image-cache-autopilot/image-uses.js';
import { podsAutoMatch } from '../image-cache-autopilot/autopilot-config.js';
import type { JobPlan } from '../jobs/job-plan.js';
import { runnerName } from '../jobs/naming.js';
import type { ControllerMetrics } from '../metrics.js';
import { placementAnnotations, placementFor, type JobPlacement } from '../settings/repo-settings.js';
import { dockerConfigJson } from './pull-secret.js';
import type { RunnerJobs } from './runner-jobs.js';
import {
  buildWorkloadPod,
  pullSecret,
  TOKEN_KEY,
  workloadPodName,
  workloadPullSecretName,
  workloadSecretName,
} from './workload-pod.js';
import { verifyWorkloadToken } from './workload-token.js';

/** How long one request waits for W to run before answering 202. */
const WAIT_MS = 20_000;

export interface HttpAnswer {
  status: number;
  body: unknown;
}

/** What the controller does with what the service learns (records, metrics of its own). */
export interface WorkloadEvents {
  /** The runner of `runnerPodJob`'s pod runs `job` in its own pod (same shape) or in W. */
  matched(job: WorkflowJob, runnerPodJob: string, relation: 'same' | 'rerouted'): void;
  /** W was created for `job`: its record now shows W. */
  created(job: WorkflowJob, launched: LaunchedPod): void;
  /** W runs on its node. */
  ready(jobId: string, pod: V1Pod): void;
}

export interface WorkloadServiceDeps extends LaunchDeps {
  metrics: Pick<ControllerMetrics, 'workloadPods'>;
  key: Buffer;
  runnerJobs: RunnerJobs;
  events: WorkloadEvents;
  /** How long to look for the job a runner took (default 20 s; the hook asks again after a 503). */
  findTimeoutMs?: number;
  waitMs?: number;
}

const error = (status: number, code: string, message: string): HttpAnswer => ({
  status,
  body: { error: { code, message } },
});

const decode = (s: string | undefined) => (s === undefined ? undefined : Buffer.from(s, 'base64').toString('utf8'));

export class WorkloadService {
  constructor(private readonly deps: WorkloadServiceDeps) {}

  async request(authorization: string | undefined, raw: unknown): Promise<HttpAnswer> {
    let req: WorkloadRequest;
    try {
      req = parseWorkloadRequest(raw);
    } catch (err) {
      return error(400, 'invalid_input', (err as Error).message);
    }
    const { config, log } = this.deps;
    if (!verifyWorkloadToken(this.deps.key, config.namespace, req.pod, authorization))
      return error(401, 'unauthorized', 'invalid workload token');
    const runnerPod = await this.readPod(req.pod);
    if (runnerPod?.metadata?.labels?.[LABEL.component] !== COMPONENT.runnerJob)
      return error(404, 'not_found', `no runner pod ${req.pod}`);
    const ownJob = runnerPod.metadata.labels[LABEL.jobId]!;
    const repo = runnerPod.metadata.annotations?.[ANNOTATION.repository] ?? req.hints.repository ?? '';
    const runner = runnerPod.metadata.annotations?.[ANNOTATION.runnerName] ?? runnerName(ownJob);
    let job: WorkflowJob;
    try {
      job = await this.deps.runnerJobs.find(this.deps.github, repo, runner, {
        ...(req.hints.runId !== undefined ? { runId: req.hints.runId } : {}),
        timeoutMs: this.deps.findTimeoutMs ?? 20_000,
      });
    } catch (err) {
      return error(503, 'unavailable', describeError(err));
    }
    const jobId = String(job.id);
    const l = log.child({ job: jobId, runnerPod: req.pod, runnerPodJob: ownJob });
    if (req.imagesMatch && jobId === ownJob) {
      this.deps.events.matched(job, ownJob, 'same');
      return { status: 200, body: { mode: 'own', job: jobId } satisfies WorkloadAnswer };
    }
    const { plan: p, settings } = await plan(this.deps, job);
    const placement = placementFor(settings, p.jobKey, config.placement);
    const kaniko = settings.imageCache.kaniko.enabled || p.buildsImages === true;
    if (req.imagesMatch && sameShape(runnerPod, p, placement, kaniko)) {
      l.info('runner took another job of the same shape: its own pod runs it');
      this.deps.events.matched(job, ownJob, 'same');
      return { status: 200, body: { mode: 'own', job: jobId } satisfies WorkloadAnswer };
    }
    const name = workloadPodName(job.id);
    let w = await this.readPod(name);
    if (w && w.metadata?.labels?.[LABEL.runnerPod] !== req.pod)
      return error(
        409,
        'conflict',
        `workload pod ${name} belongs to runner pod ${w.metadata?.labels?.[LABEL.runnerPod]}`,
      );
    const owner = { name: req.pod, uid: runnerPod.metadata.uid! };
    const pullPolicy =
      settings.imageCache.pullPolicy === 'IfNotPresent'
        ? config.runner.imagePullPolicy
        : settings.imageCache.pullPolicy;
    const args = {
      job,
      plan: p,
      config,
      // Workload pods stay pay-as-you-go: the spot re-run follows runner pods only (docs: spot).
      placement: {
        ...placement,
        annotations: placementAnnotations(placement, settings.imageCache, {
          noSpot: true,
          autoMatch: podsAutoMatch(config),
        }),
      },
      pullPolicy,
      runnerPod: owner,
    };
    const existingSecret = await this.readSecret(workloadSecretName(job.id));
    const agentToken = decode(existingSecret?.data?.[TOKEN_KEY]) ?? randomBytes(32).toString('hex');
    const creds = dockerConfigJson([...(req.container ? [req.container] : []), ...req.services]);
    const parts = buildWorkloadPod({
      ...args,
      ...(req.container ? { container: req.container } : {}),
      services: req.services,
      agentToken,
      ...(creds ? { pullSecret: workloadPullSecretName(job.id) } : {}),
      ...(kaniko ? { kaniko: config.kaniko } : {}),
    });
    if (!w) {
      const ns = config.namespace;
      const ignoreExists = (err: unknown) => {
        if (apiStatus(err) !== 409) throw err;
      };
      if (creds)
        await this.deps.kube.core
          .createNamespacedSecret({ namespace: ns, body: pullSecret(args, creds) })
          .catch(ignoreExists);
      if (!existingSecret)
        await this.deps.kube.core.createNamespacedSecret({ namespace: ns, body: parts.secret }).catch(ignoreExists);
      try {
        w = await this.deps.kube.core.createNamespacedPod({ namespace: ns, body: parts.pod });
        this.deps.metrics.workloadPods.inc();
        this.deps.events.matched(job, ownJob, 'rerouted');
        l.info('workload pod created for the job the runner took', {
          pod: name,
          images: parts.pod.spec!.containers.map((c) => c.image),
          cpu: placement.cpu,
          memory: placement.memory,
          pullSecret: creds !== undefined,
        });
        this.deps.events.created(job, {
          namespace: ns,
          name,
          createdAt: new Date().toISOString(),
          resources: { cpu: placement.cpu, memory: placement.memory },
          ...(placement.eciSpecs ? { eciSpecs: placement.eciSpecs } : {}),
          images: [...new Set(parts.pod.spec!.containers.map((c) => c.image!))],
          imageRoles: podImageRoles(parts.pod),
          cachedImages: settings.imageCache.images,
          ...(p.unresolved ? { planProblem: p.unresolved } : {}),
        });
      } catch (err) {
        if (apiStatus(err) !== 409) throw err;
        w = await this.readPod(name);
      }
    }
    const ready = await this.waitRunning(name, this.deps.waitMs ?? WAIT_MS);
    const base: WorkloadAnswer = {
      mode: 'workload',
      job: jobId,
      pod: name,
      agents: parts.agents,
      services: parts.services,
    };
    if (!ready.pod) return { status: 202, body: { ...base, ready: false, phase: ready.phase, message: ready.message } };
    this.deps.events.ready(jobId, ready.pod);
    return {
      status: 200,
      body: {
        ...base,
        ready: true,
        phase: 'Running',
        ip: ready.pod.status!.podIP!,
        token: agentToken,
      } satisfies WorkloadAnswer,
    };
  }

  /** The runner pod is done with its workload: W and its Secrets go (the garbage collector would, with the pod). */
  async release(authorization: string | undefined, runnerPod: string): Promise<HttpAnswer> {
    const ns = this.deps.config.namespace;
    if (!verifyWorkloadToken(this.deps.key, ns, runnerPod, authorization))
      return error(401, 'unauthorized', 'invalid workload token');
    const labelSelector = `${LABEL.component}=${COMPONENT.workload},${LABEL.runnerPod}=${runnerPod}`;
    const [pods, secrets] = await Promise.all([
      this.deps.kube.core.listNamespacedPod({ namespace: ns, labelSelector }),
      this.deps.kube.core.listNamespacedSecret({ namespace: ns, labelSelector }),
    ]);
    const gone = (err: unknown) => {
      if (apiStatus(err) !== 404) throw err;
    };
    await Promise.all([
      ...pods.items.map((p) =>
        this.deps.kube.core
          .deleteNamespacedPod({ name: p.metadata!.name!, namespace: ns, gracePeriodSeconds: 5 })
          .catch(gone),
      ),
      ...secrets.items.map((s) =>
        this.deps.kube.core.deleteNamespacedSecret({ name: s.metadata!.name!, namespace: ns }).catch(gone),
      ),
    ]);
    this.deps.log.info('workload released', { runnerPod, pods: pods.items.length, secrets: secrets.items.length });
    return { status: 200, body: { deleted: { pods: pods.items.length, secrets: secrets.items.length } } };
  }

  private async waitRunning(name: string, waitMs: number): Promise<{ pod?: V1Pod; phase: string; message?: string }> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const pod = await this.readPod(name);
      const phase = pod?.status?.phase ?? 'Pending';
      if (pod && phase === 'Running' && pod.status?.podIP) return { pod, phase };
      const waiting = pod?.status?.containerStatuses?.find((c) => c.state?.waiting?.reason)?.state?.waiting;
      const message = waiting ? [waiting.reason, waiting.message].filter(Boolean).join(': ') : undefined;
      if (phase === 'Failed' || phase === 'Succeeded' || Date.now() >= deadline)
        return { phase, ...(message ? { message } : {}) };
      await sleep(250);
    }
  }

  private async readPod(name: string): Promise<V1Pod | undefined> {
    return this.deps.kube.core.readNamespacedPod({ name, namespace: this.deps.config.namespace }).catch((err) => {
      if (apiStatus(err) === 404) return undefined;
      throw err;
    });
  }

  private async readSecret(name: string): Promise<V1Secret | undefined> {
    return this.deps.kube.core.readNamespacedSecret({ name, namespace: this.deps.config.namespace }).catch((err) => {
      if (apiStatus(err) === 404) return undefined;
      throw err;
    });
  }
}

/**
 * Whether the runner pod already has what `plan` needs besides the images the hook compared: the same `docker://`
 * step images, kaniko or not, and the same cpu/memory.
 */
export function sameShape(pod: V1Pod, p: JobPlan, placement: JobPlacement, kaniko: boolean): boolean {
  const containers = pod.spec?.containers ?? [];
  const steps = containers.filter((c) => isStepContainer(c.name)).map((c) => c.image!);
  const runner = containers.find((c) => c.name === CONTAINER.runner)?.resources?.limits;
  return (
    JSON.stringify([...steps].sort()) === JSON.stringify([...p.stepImages].sort()) &&
    containers.some((c) => c.name === CONTAINER.kaniko) === kaniko &&
    runner?.cpu === placement.cpu &&
    runner.memory === placement.memory
  );
}

function containerArgs(v: unknown, what: string): WorkloadContainerArgs {
  if (typeof v !== 'object' || v === null) throw new InvalidInput(`${what} must be an object`);
  const c = v as Record<string, unknown>;
  if (typeof c.image !== 'string' || !c.image) throw new InvalidInput(`${what}.image must be a non-empty string`);
  const strings = (x: unknown, w: string) => {
    if (x === undefined || x === null) return undefined;
    if (!Array.isArray(x) || x.some((s) => typeof s !== 'string')) throw new InvalidInput(`${w} must be strings`);
    return x as string[];
  };
  const env = c.environmentVariables;
  if (env !== undefined && env !== null) {
    if (typeof env !== 'object' || Array.isArray(env)) throw new InvalidInput(`${what}.environmentVariables`);
    for (const x of Object.values(env))
      if (typeof x !== 'string') throw new InvalidInput(`${what}.environmentVariables`);
  }
  const reg = c.registry as WorkloadContainerArgs['registry'];
  const entryPointArgs = strings(c.entryPointArgs, `${what}.entryPointArgs`);
  const portMappings = strings(c.portMappings, `${what}.portMappings`);
  return {
    image: c.image,
    ...(typeof c.entryPoint === 'string' && c.entryPoint ? { entryPoint: c.entryPoint } : {}),
    ...(entryPointArgs?.length ? { entryPointArgs } : {}),
    ...(typeof c.createOptions === 'string' && c.createOptions ? { createOptions: c.createOptions } : {}),
    ...(env ? { environmentVariables: env as Record<string, string> } : {}),
    ...(reg && typeof reg === 'object' && typeof reg.username === 'string' ? { registry: reg } : {}),
    ...(portMappings?.length ? { portMappings } : {}),
  };
}

export function parseWorkloadRequest(raw: unknown): WorkloadRequest {
  if (typeof raw !== 'object' || raw === null) throw new InvalidInput('body must be a JSON object');
  const r = raw as Record<string, unknown>;
  if (typeof r.pod !== 'string' || !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(r.pod))
    throw new InvalidInput('pod must be a pod name');
  const h = (typeof r.hints === 'object' && r.hints !== null ? r.hints : {}) as Record<string, unknown>;
  const num = (x: unknown) => (typeof x === 'number' && Number.isSafeInteger(x) && x > 0 ? x : undefined);
  const runId = num(h.runId);
  const runAttempt = num(h.runAttempt);
  if (r.services !== undefined && !Array.isArray(r.services)) throw new InvalidInput('services must be a list');
  return {
    pod: r.pod,
    imagesMatch: r.imagesMatch === true,
    ...(r.container ? { container: containerArgs(r.container, 'container') } : {}),
    services: ((r.services as unknown[] | undefined) ?? []).map((s, i) => containerArgs(s, `services[${i}]`)),
    hints: {
      ...(runId ? { runId } : {}),
      ...(runAttempt ? { runAttempt } : {}),
      ...(typeof h.jobKey === 'string' && h.jobKey ? { jobKey: h.jobKey } : {}),
      ...(typeof h.repository === 'string' && h.repository ? { repository: h.repository } : {}),
    },
  };
}
