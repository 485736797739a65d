/**
 * Runs one workflow job as ONE pod: builds and creates the pod (all containers known up front), waits for it to run,
 * runs the steps (step-loop.ts), honours the job's timeout-minutes and cancellation, and always cleans up the pod and
 * its Secret (unless kept).
 */
import { randomBytes } from 'node:crypto';
import { Cancelled, describeError, isErrorCode, stepContainerName } from '@eci-virtual/contract';
import type { KubeClients } from '../kube/client.js';
import type { ExecTransport } from '../kube/exec.js';
import type { Logger } from '../observability/logger.js';
import { buildJobPod } from '../pod-assembly/pod-builder.js';
import type { KanikoSlot } from '../pod-assembly/pod-parts.js';
import { podFacts } from '../pod-assembly/pod-facts.js';
import { renderEnv } from '../pod-assembly/shell-env.js';
import { jobResult, skippedJob } from './conclusions.js';
import { JobContexts } from './job-contexts.js';
import type { ExpressionEngine, JobSpec } from './job-spec.js';
import { JobOutput } from './output/job-output.js';
import { waitForRunning } from './pod-waiter.js';
import type { JobReporter, JobResult } from './reporter.js';
import { StepLoop } from './step-loop.js';

export interface JobRunOptions {
  kube: KubeClients;
  transport: ExecTransport;
  namespace: string;
  job: JobSpec;
  expressions: ExpressionEngine;
  reporter: JobReporter;
  log: Logger;
  /** Image for jobs without `container:`. */
  defaultImage: string;
  repository: string;
  secrets?: Record<string, string>;
  /** Extra variables from the command line (`--env`), shared by all steps. */
  env?: Record<string, string>;
  placement: 'virtual' | 'any';
  nodeName?: string;
  keepPod?: boolean;
  podStartTimeoutMs?: number;
  signal?: AbortSignal;
  runId?: string;
  sha?: string;
  ref?: string;
  /** Local directory `actions/checkout` uploads (eci-virtual run: the current directory). */
  checkoutRoot?: string;
  /** Add the kaniko container (image builds through actions/build-image). */
  kaniko?: KanikoSlot;
  /** From `.github/eci-virtual.yml`: job container resources and the pod annotations of the placement. */
  resources?: { cpu?: string; memory?: string };
  annotations?: Record<string, string>;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
}

const DEFAULT_JOB_TIMEOUT_MINUTES = 360;

export class JobRunner {
  private readonly contexts: JobContexts;
  private readonly output: JobOutput;

  constructor(private readonly o: JobRunOptions) {
    this.contexts = new JobContexts(o, o.expressions);
    this.output = new JobOutput(o.reporter, o.secrets);
  }

  async run(): Promise<JobResult> {
    const { kube, namespace, job, reporter, log } = this.o;
    const started = Date.now();
    const podName = `eci-${job.id
      .toLowerCase()
      .replace(/[^a-z0-9-]/g, '-')
      .slice(0, 40)}-${randomBytes(3).toString('hex')}`.replace(/-+/g, '-');
    const jlog = log.child({ job: job.id, pod: `${namespace}/${podName}` });
    const timings: JobResult['timings'] = { totalMs: 0 };
    const steps = new StepLoop({ ...this.o, contexts: this.contexts, output: this.output });
    const abort = new AbortController();
    const onCancel = () => {
      this.contexts.status = 'cancelled';
      abort.abort();
    };
    this.o.signal?.addEventListener('abort', onCancel, { once: true });
    const jobTimer = setTimeout(
      () => {
        reporter.warn(
          `job exceeded timeout-minutes (${job.timeoutMinutes ?? DEFAULT_JOB_TIMEOUT_MINUTES}); cancelling`,
        );
        onCancel();
      },
      (job.timeoutMinutes ?? DEFAULT_JOB_TIMEOUT_MINUTES) * 60_000,
    );
    let node: string | undefined;
    let error: string | undefined;
    const secretName = `${podName}-secrets`;
    let hasSecrets = false;
    reporter.jobStarted({ id: job.id, name: job.name, pod: podName });
    if (job.if && !this.o.expressions.condition(job.if, this.contexts.get(), 'success')) {
      clearTimeout(jobTimer);
      this.o.signal?.removeEventListener('abort', onCancel);
      const skipped = skippedJob(job, podName);
      reporter.jobFinished(skipped);
      return skipped;
    }
    try {
      this.contexts.startEnv(this.o.env);
      // Values that carry a secret never go into the pod's annotation; they travel in the Secret instead.
      const secretValues = Object.values(this.o.secrets ?? {}).filter(Boolean);
      const shared = this.contexts.envEntries().filter(([, v]) => !secretValues.some((s) => v.includes(s)));
      const secretEnv = this.contexts.envEntries().filter(([, v]) => secretValues.some((s) => v.includes(s)));
      hasSecrets = secretEnv.length > 0;
      const pod = buildJobPod({
        name: podName,
        namespace,
        repository: this.o.repository,
        workflow: job.workflow,
        jobName: job.name,
        runId: this.o.runId ?? String(started),
        jobId: job.id,
        jobImage: this.o.expressions.interpolate(job.image ?? this.o.defaultImage, this.contexts.get()),
        services: job.services.map((s) => ({
          name: s.name,
          image: this.o.expressions.interpolate(s.image, this.contexts.get()),
          env: Object.fromEntries(
            Object.entries(s.env ?? {}).map(([k, v]) => [k, this.o.expressions.interpolate(v, this.contexts.get())]),
          ),
        })),
        sharedEnv: shared,
        stepContainers: job.steps.flatMap((st, i) =>
          st.container
            ? [
                {
                  name: stepContainerName(i),
                  image: this.o.expressions.interpolate(st.container.image, this.contexts.get()),
                },
              ]
            : [],
        ),
        ...(hasSecrets ? { secretName } : {}),
        placement: this.o.placement,
        ...(this.o.nodeName ? { nodeName: this.o.nodeName } : {}),
        ...(this.o.kaniko ? { kaniko: this.o.kaniko } : {}),
        ...(this.o.resources ? { resources: this.o.resources } : {}),
        ...(this.o.annotations ? { annotations: this.o.annotations } : {}),
        ...(this.o.imagePullPolicy ? { imagePullPolicy: this.o.imagePullPolicy } : {}),
      });
      const created = await kube.core.createNamespacedPod({ namespace, body: pod });
      timings.podCreatedMs = Date.now() - started;
      if (hasSecrets) {
        await kube.core.createNamespacedSecret({
          namespace,
          body: {
            metadata: {
              name: secretName,
              labels: { 'app.kubernetes.io/managed-by': 'eci-virtual' },
              // Garbage-collected with the pod even if this process dies.
              ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: podName, uid: created.metadata!.uid! }],
            },
            type: 'Opaque',
            stringData: { env: renderEnv(secretEnv) },
          },
        });
      }
      jlog.info('job pod created', { ms: timings.podCreatedMs });
      const running = await waitForRunning(kube, namespace, podName, {
        timeoutMs: this.o.podStartTimeoutMs ?? 300_000,
        signal: abort.signal,
        onScheduled: (n) => {
          node = n;
          timings.scheduledMs = Date.now() - started;
          reporter.podScheduled(n, timings.scheduledMs);
        },
      });
      node = running.spec?.nodeName ?? node;
      timings.runningMs = Date.now() - started;
      reporter.podRunning(timings.runningMs);
      // The pod's placement and start timings, given to every step as $ECI_VIRTUAL_POD_FACTS (pod-facts.ts).
      const facts = JSON.stringify(await podFacts(kube, running, timings));

      await steps.run(
        { namespace, name: podName },
        facts,
        abort.signal,
        () => (timings.firstStepMs ??= Date.now() - started),
      );
    } catch (err) {
      error = describeError(err);
      if (!(err instanceof Cancelled)) {
        this.contexts.status = 'failure';
        jlog.warn('job failed', { err: error });
      }
    } finally {
      clearTimeout(jobTimer);
      this.o.signal?.removeEventListener('abort', onCancel);
      if (!this.o.keepPod) {
        await kube.core
          .deleteNamespacedPod({ namespace, name: podName, gracePeriodSeconds: 0 })
          .catch((err: unknown) => {
            if (!isErrorCode(err, 'NotFound')) jlog.debug('pod delete failed', { err: describeError(err) });
          });
        if (hasSecrets) await kube.core.deleteNamespacedSecret({ namespace, name: secretName }).catch(() => undefined);
      }
    }
    timings.totalMs = Date.now() - started;
    const result = jobResult(
      { job, pod: podName, node, status: this.contexts.status, steps: steps.results, timings, error },
      (text) => this.output.mask(text),
    );
    reporter.jobFinished(result);
    return result;
  }
}
