/**
 * The life of a job's one pod under `eci-virtual run`: compose it from the job (pod-assembly/pod-builder.ts, every
 * image known up front), create it and the Secret that carries env values holding a secret (owned by the pod, so it
 * goes with it even if this process dies), wait until it runs while reporting where it was scheduled, describe it to
 * the steps (pod facts), and delete both at the end unless the pod is kept for debugging.
 *
 * Everything here talks to the API server; what runs inside the pod is step-loop.ts.
 */
import { randomBytes } from 'node:crypto';
import { describeError, isErrorCode, stepContainerName } from '@eci-virtual/contract';
import type { KubeClients } from '../kube/client.js';
import type { Logger } from '../observability/logger.js';
import { buildJobPod, serviceSecretEnv, type JobPodInput } from '../pod-assembly/pod-builder.js';
import type { KanikoSlot } from '../pod-assembly/pod-parts.js';
import { podFacts } from '../pod-assembly/pod-facts.js';
import { renderEnv } from '../pod-assembly/shell-env.js';
import type { JobContexts } from './job-contexts.js';
import type { ExpressionEngine, JobSpec } from './job-spec.js';
import { guardContainers, waitForRunning } from './pod-waiter.js';
import type { JobReporter, JobResult } from './reporter.js';

/** What the pod is made of and where it goes (the pod-shaping part of JobRunOptions). */
export interface JobPodOptions {
  kube: KubeClients;
  namespace: string;
  job: JobSpec;
  expressions: ExpressionEngine;
  reporter: JobReporter;
  log: Logger;
  /** Image for jobs without `container:`. */
  defaultImage: string;
  repository: string;
  secrets?: Record<string, string>;
  placement: 'virtual' | 'any';
  nodeName?: string;
  keepPod?: boolean;
  podStartTimeoutMs?: number;
  runId?: string;
  /** Add the kaniko container (image builds through actions/build-image). */
  kaniko?: KanikoSlot;
  /** From `.github/eci-virtual.yml`: job container resources and the pod annotations of the placement. */
  resources?: { cpu?: string; memory?: string };
  annotations?: Record<string, string>;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  /** An image with the step agent (pod-builder.ts): steps then go over one `eci-agent dial` exec per container. */
  agentImage?: string;
  /** An image with a Node.js runtime (node-runtime.ts), brought along by pods of jobs that run JavaScript actions. */
  nodeRuntimeImage?: string;
}

/** `eci-<job id as a DNS label, ≤ 40 chars>-<6 hex>`: unique per run, recognisable in `kubectl get pods`. */
export function jobPodName(jobId: string, suffix = randomBytes(3).toString('hex')): string {
  const id = jobId
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 40);
  return `eci-${id}-${suffix}`.replace(/-+/g, '-');
}

/** Values that carry a secret never go into the pod's annotation; they travel in the Secret instead. */
export function splitSecretEnv(
  env: [string, string][],
  secrets: Record<string, string> = {},
): { shared: [string, string][]; secret: [string, string][] } {
  const secretValues = Object.values(secrets).filter(Boolean);
  return {
    shared: env.filter(([, v]) => !secretValues.some((s) => v.includes(s))),
    secret: env.filter(([, v]) => secretValues.some((s) => v.includes(s))),
  };
}

export class JobPod {
  readonly secretName: string;
  /** Logs with the job and the pod. */
  readonly log: Logger;
  /** The node the pod was scheduled to, once known. */
  node: string | undefined;
  private hasSecrets = false;

  /** `timings` is the job's: create and waitRunning fill in podCreatedMs, scheduledMs, runningMs from `started`. */
  constructor(
    private readonly o: JobPodOptions,
    readonly name: string,
    private readonly started: number,
    private readonly timings: JobResult['timings'],
  ) {
    this.secretName = `${name}-secrets`;
    this.log = o.log.child({ job: o.job.id, pod: `${o.namespace}/${name}` });
  }

  get ref(): { namespace: string; name: string } {
    return { namespace: this.o.namespace, name: this.name };
  }

  /** Creates the pod from the job and the env in `contexts`, then its Secret when some env value carries a secret. */
  async create(contexts: JobContexts): Promise<void> {
    const { kube, namespace } = this.o;
    const { shared, secret } = splitSecretEnv(contexts.envEntries(), this.o.secrets);
    const input = this.input(contexts, shared);
    // Service env values holding a secret become keys of the same Secret (secretKeyRef), never literal in the spec.
    const services = serviceSecretEnv(input.services ?? [], this.o.secrets, this.secretName);
    this.hasSecrets = secret.length > 0 || Object.keys(services.data).length > 0;
    const pod = buildJobPod({
      ...input,
      services: services.services,
      ...(this.hasSecrets ? { secretName: this.secretName } : {}),
    });
    const created = await kube.core.createNamespacedPod({ namespace, body: pod });
    this.timings.podCreatedMs = Date.now() - this.started;
    if (this.hasSecrets) {
      await kube.core.createNamespacedSecret({
        namespace,
        body: {
          metadata: {
            name: this.secretName,
            labels: { 'app.kubernetes.io/managed-by': 'eci-virtual' },
            // Garbage-collected with the pod even if this process dies.
            ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: this.name, uid: created.metadata!.uid! }],
          },
          type: 'Opaque',
          stringData: { env: renderEnv(secret), ...services.data },
        },
      });
    }
    this.log.info('job pod created', { ms: this.timings.podCreatedMs });
  }

  /** Waits until every container runs (reporting the node on the way); returns the pod facts JSON for the steps. */
  async waitRunning(signal: AbortSignal): Promise<string> {
    const { kube, namespace, reporter } = this.o;
    const running = await waitForRunning(kube, namespace, this.name, {
      timeoutMs: this.o.podStartTimeoutMs ?? 300_000,
      signal,
      onScheduled: (n) => {
        this.node = n;
        this.timings.scheduledMs = Date.now() - this.started;
        reporter.podScheduled(n, this.timings.scheduledMs);
      },
    });
    this.node = running.spec?.nodeName ?? this.node;
    this.timings.runningMs = Date.now() - this.started;
    reporter.podRunning(this.timings.runningMs);
    return JSON.stringify(await podFacts(kube, running, this.timings));
  }

  /** Calls `onFailure` once if a container of the running pod stops (pod-waiter.ts guardContainers) until stopped. */
  guard(onFailure: (message: string) => void): { stop: () => void } {
    return guardContainers(this.o.kube, this.o.namespace, this.name, (err) => {
      this.log.warn('container stopped during the job', { err: err.message });
      onFailure(err.message);
    });
  }

  /** Deletes the pod and its Secret, unless kept; never throws (a pod already gone is fine). */
  async remove(): Promise<void> {
    if (this.o.keepPod) return;
    const { kube, namespace } = this.o;
    await kube.core.deleteNamespacedPod({ namespace, name: this.name, gracePeriodSeconds: 0 }).catch((err: unknown) => {
      if (!isErrorCode(err, 'NotFound')) this.log.debug('pod delete failed', { err: describeError(err) });
    });
    if (this.hasSecrets)
      await kube.core.deleteNamespacedSecret({ namespace, name: this.secretName }).catch(() => undefined);
  }

  /** The pod builder's input: images and service env evaluated with the job's contexts. */
  private input(contexts: JobContexts, sharedEnv: [string, string][]): JobPodInput {
    const o = this.o;
    const interpolate = (text: string) => o.expressions.interpolate(text, contexts.get());
    return {
      name: this.name,
      namespace: o.namespace,
      repository: o.repository,
      workflow: o.job.workflow,
      jobName: o.job.name,
      runId: o.runId ?? String(this.started),
      jobId: o.job.id,
      jobImage: interpolate(o.job.image ?? o.defaultImage),
      services: o.job.services.map((s) => ({
        name: s.name,
        image: interpolate(s.image),
        env: Object.fromEntries(Object.entries(s.env ?? {}).map(([k, v]) => [k, interpolate(v)])),
      })),
      sharedEnv,
      stepContainers: o.job.steps.flatMap((st, i) =>
        st.container ? [{ name: stepContainerName(i), image: interpolate(st.container.image) }] : [],
      ),
      ...(this.hasSecrets ? { secretName: this.secretName } : {}),
      placement: o.placement,
      ...(o.nodeName ? { nodeName: o.nodeName } : {}),
      ...(o.kaniko ? { kaniko: o.kaniko } : {}),
      ...(o.resources ? { resources: o.resources } : {}),
      ...(o.annotations ? { annotations: o.annotations } : {}),
      ...(o.imagePullPolicy ? { imagePullPolicy: o.imagePullPolicy } : {}),
      ...(o.agentImage ? { agentImage: o.agentImage } : {}),
      ...(o.nodeRuntimeImage && o.job.usesNode ? { nodeRuntimeImage: o.nodeRuntimeImage } : {}),
    };
  }
}
