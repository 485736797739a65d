/**
 * Runs one workflow job as ONE pod: builds and creates the pod (all containers known up front), waits for it to run,
 * executes each step with one exec (durable log + result on the workspace emptyDir), evaluates `if:` and `${{ }}` as
 * contexts change, carries GITHUB_ENV/GITHUB_PATH/GITHUB_OUTPUT between steps, honours continue-on-error,
 * timeout-minutes and cancellation, masks secrets, and always cleans up the pod and its Secret (unless kept).
 */
import { randomBytes } from 'node:crypto';
import {
  Cancelled,
  CONTAINER,
  describeError,
  InvalidInput,
  isErrorCode,
  PATHS,
  POD_FACTS_ENV,
  stepContainerName,
  Unavailable,
} from '@eci-virtual/contract';
import type { KubeClients } from '../kube/client.js';
import type { ExecTransport } from '../kube/exec.js';
import type { Logger } from '../observability/logger.js';
import {
  conclude,
  continuesOnError,
  jobResult,
  jobStatusAfter,
  skippedJob,
  skippedStep,
  stepGate,
  stepResult,
  type StepEnd,
} from './conclusions.js';
import { JobContexts } from './job-contexts.js';
import type { ExpressionEngine, JobSpec, StepSpec } from './job-spec.js';
import { LineSplitter } from './output/line-splitter.js';
import { JobOutput } from './output/job-output.js';
import { EXTRACT_SCRIPT, workingTreeArchive } from './checkout.js';
import { buildJobPod } from '../pod-assembly/pod-builder.js';
import type { KanikoSlot } from '../pod-assembly/pod-parts.js';
import { podFacts } from '../pod-assembly/pod-facts.js';
import { waitForRunning } from './pod-waiter.js';
import type { JobReporter, JobResult, StepConclusion, StepResult } from './reporter.js';
import { renderEnv } from '../pod-assembly/shell-env.js';
import { stepWrapper } from '../step-transport/step-script.js';
import { killStep, runStep, type StepTarget } from '../step-transport/step-runner.js';

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
  /** The pod's placement and start timings, given to every step as $ECI_VIRTUAL_POD_FACTS (pod-facts.ts). */
  private facts: string | undefined;
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
    const results: StepResult[] = [];
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
      this.facts = JSON.stringify(await podFacts(kube, running, timings));

      const target = (i: number): StepTarget => ({
        pod: { namespace, name: podName },
        container: job.steps[i]?.container ? stepContainerName(i) : CONTAINER.job,
        dir: `${PATHS.steps}/${i}`,
      });
      for (let i = 0; i < job.steps.length; i++) {
        const step = job.steps[i]!;
        if (step.compositeEnd) {
          this.contexts.endComposite(step.compositeEnd);
          continue;
        }
        const result = await this.runOneStep(
          i,
          step,
          target(i),
          abort.signal,
          () => (timings.firstStepMs ??= Date.now() - started),
        );
        results.push(result);
        this.contexts.status = jobStatusAfter(this.contexts.status, result.conclusion);
      }
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
      { job, pod: podName, node, status: this.contexts.status, steps: results, timings, error },
      (text) => this.output.mask(text),
    );
    reporter.jobFinished(result);
    return result;
  }

  private async runOneStep(
    index: number,
    step: StepSpec,
    target: StepTarget,
    jobSignal: AbortSignal,
    markFirst: () => void,
  ): Promise<StepResult> {
    const { expressions, reporter } = this.o;
    const started = Date.now();
    const ctx = this.contexts.get({}, step.scope);
    const name = this.output.mask(expressions.interpolate(step.name, this.contexts.get()));
    const gate = stepGate(expressions, step.if, ctx, this.contexts.status);
    if (gate === 'skip') {
      this.contexts.recordStep(step, { outputs: {}, outcome: 'skipped', conclusion: 'skipped' });
      const result = skippedStep(index, name);
      reporter.stepFinished(result);
      return result;
    }
    reporter.stepStarted(index, name);
    const failed = (error: string, execs: number) =>
      this.finish({ index, step, name, started, outcome: 'failure', outputs: {}, error, execs });
    if (gate !== 'run') return failed(gate.failed, 0);
    markFirst();
    if (step.checkout) return this.checkoutStep(index, step, name, started, target);
    let script: string;
    let env: [string, string][];
    let workingDirectory: string;
    try {
      const stepCtx = this.contexts.get({}, step.scope);
      const stepEnv = Object.entries(step.env ?? {}).map(
        ([k, v]) => [k, expressions.interpolate(v, stepCtx)] as [string, string],
      );
      const actionPath = (stepCtx as { github: { action_path?: string } }).github.action_path;
      env = [
        ...this.contexts.addedEnv(),
        ...(this.facts ? [[POD_FACTS_ENV, this.facts] as [string, string]] : []),
        ...(actionPath ? [['GITHUB_ACTION_PATH', actionPath] as [string, string]] : []),
        ...stepEnv,
      ];
      const withEnv = this.contexts.get(
        { env: { ...Object.fromEntries(this.contexts.envEntries()), ...Object.fromEntries(stepEnv) } },
        step.scope,
      );
      script = step.container
        ? dockerStepScript(step.container, (t) => expressions.interpolate(t, withEnv))
        : expressions.interpolate(step.run ?? '', withEnv);
      const ws = this.contexts.workspace();
      const wd = step.workingDirectory ?? this.o.job.defaults.workingDirectory;
      workingDirectory = wd ? (wd.startsWith('/') ? wd : `${ws}/${expressions.interpolate(wd, withEnv)}`) : ws;
    } catch (err) {
      return failed(describeError(err), 0);
    }
    const stepAbort = new AbortController();
    const onJobAbort = () => stepAbort.abort();
    jobSignal.addEventListener('abort', onJobAbort, { once: true });
    const timeout = step.timeoutMinutes ? setTimeout(() => stepAbort.abort(), step.timeoutMinutes * 60_000) : undefined;
    const lines = new LineSplitter((line) => this.output.line(index, line));
    try {
      const out = await runStep(this.o.transport, target, {
        wrapper: stepWrapper({
          dir: target.dir,
          script,
          shell: step.shell ?? this.o.job.defaults.shell,
          env,
          workingDirectory,
          path: this.contexts.pathEntries(),
        }),
        onOutput: (chunk) => lines.push(chunk),
        signal: stepAbort.signal,
        log: this.o.log,
      });
      lines.flush();
      const outputs = this.contexts.applyFiles(out.files);
      const outcome: StepConclusion = out.exitCode === 0 ? 'success' : 'failure';
      return this.finish({
        index,
        step,
        name,
        started,
        outcome,
        exitCode: out.exitCode,
        outputs,
        ...(outcome === 'failure' ? { error: `exit code ${out.exitCode}` } : {}),
        execs: out.execs,
        ...(out.files.summary !== undefined ? { summary: out.files.summary } : {}),
      });
    } catch (err) {
      lines.flush();
      if (stepAbort.signal.aborted) {
        await killStep(this.o.transport, target, 3_000);
        const timedOut = !jobSignal.aborted;
        return this.finish({
          index,
          step,
          name,
          started,
          outcome: timedOut ? 'failure' : 'cancelled',
          outputs: {},
          error: timedOut ? `timed out after ${step.timeoutMinutes} minutes` : 'cancelled',
          execs: 1,
        });
      }
      return failed(describeError(err), 1);
    } finally {
      if (timeout) clearTimeout(timeout);
      jobSignal.removeEventListener('abort', onJobAbort);
    }
  }

  /** `actions/checkout`: the local working tree, uploaded with one exec (checkout.ts). */
  private async checkoutStep(
    index: number,
    step: StepSpec,
    name: string,
    started: number,
    target: StepTarget,
  ): Promise<StepResult> {
    const root = this.o.checkoutRoot;
    const end = { index, step, name, started, outputs: {} };
    if (!root)
      return this.finish({
        ...end,
        outcome: 'failure',
        error: 'actions/checkout: no local working tree to upload',
        execs: 0,
      });
    try {
      const ws = this.contexts.workspace();
      const sub = step.checkout?.path ? this.o.expressions.interpolate(step.checkout.path, this.contexts.get()) : '';
      if (sub.split('/').includes('..') || sub.startsWith('/'))
        throw new InvalidInput(`actions/checkout: path "${sub}" must stay inside the workspace`);
      const dest = sub ? `${ws}/${sub}` : ws;
      const archive = workingTreeArchive(root);
      const errors: Buffer[] = [];
      const code = await this.o.transport.exec(
        target.pod,
        CONTAINER.job,
        ['/bin/sh', '-c', EXTRACT_SCRIPT, 'eci-checkout', dest],
        {
          stdin: archive.tar,
          stdout: () => undefined,
          stderr: (c) => errors.push(c),
        },
      );
      if (code !== 0)
        throw new Unavailable(
          `extracting the working tree failed (exit ${code}): ${Buffer.concat(errors).toString().trim()}`,
        );
      const files = archive.files >= 0 ? `${archive.files} files` : 'the directory';
      this.output.line(
        index,
        `checked out ${files} (${(archive.tar.length / 1048576).toFixed(1)} MiB) from ${root} into ${dest}`,
      );
      return this.finish({ ...end, outcome: 'success', exitCode: 0, execs: 1 });
    } catch (err) {
      return this.finish({ ...end, outcome: 'failure', error: describeError(err), execs: 1 });
    }
  }

  /** Concludes a step: continue-on-error, its `steps.<id>` entry, its masked result to the reporter. */
  private finish(end: StepEnd): StepResult {
    const { expressions, reporter } = this.o;
    const continueOnError = continuesOnError(end.step, (text) =>
      expressions.interpolate(text, this.contexts.get({}, end.step.scope)),
    );
    const conclusion = conclude(end.outcome, continueOnError);
    this.contexts.recordStep(end.step, { outputs: end.outputs, outcome: end.outcome, conclusion });
    const result = stepResult(end, conclusion, Date.now(), (text) => this.output.mask(text));
    reporter.stepFinished(result);
    return result;
  }
}

/**
 * `uses: docker://image` steps run in their own container of the pod (its image is known up front). The container
 * idles like the job container, so the step runs `with.entrypoint` + `with.args`, or `with.args` as a shell command
 * line: the image's own ENTRYPOINT is not known to the runner.
 */
function dockerStepScript(c: NonNullable<StepSpec['container']>, interpolate: (t: string) => string): string {
  const args = c.args ? interpolate(c.args) : '';
  return c.entrypoint ? `exec ${interpolate(c.entrypoint)} ${args}` : args;
}
