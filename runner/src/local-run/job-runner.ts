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
import { parseKeyValueFile, parsePathFile } from './file-commands.js';
import type { Contexts, ExpressionEngine, JobSpec, JobStatus, StepSpec } from './job-spec.js';
import { LineSplitter } from './output/line-splitter.js';
import { Masker } from './output/masker.js';
import { CommandParser } from './output/workflow-commands.js';
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
  private readonly masker = new Masker();
  private readonly commands = new CommandParser();
  private readonly steps: Record<string, { outputs: Record<string, string>; outcome: string; conclusion: string }> = {};
  /** `steps` contexts of composite actions, by scope id, and their evaluated `inputs`. */
  private readonly scoped = new Map<
    string,
    Record<string, { outputs: Record<string, string>; outcome: string; conclusion: string }>
  >();
  private readonly scopeInputs = new Map<string, Record<string, string>>();
  private readonly env = new Map<string, string>();
  private path: string[] = [];
  private status: JobStatus = 'success';

  constructor(private readonly o: JobRunOptions) {
    for (const v of Object.values(o.secrets ?? {})) this.masker.add(v);
  }

  private contexts(extra: Contexts = {}, scope?: StepSpec['scope']): Contexts {
    const repoName = this.o.repository.split('/').pop() ?? 'repo';
    return {
      github: {
        workflow: this.o.job.workflow,
        job: this.o.job.id,
        run_id: this.o.runId ?? '1',
        run_number: '1',
        run_attempt: '1',
        repository: this.o.repository,
        repository_owner: this.o.repository.split('/')[0],
        sha: this.o.sha ?? '',
        ref: this.o.ref ?? '',
        event_name: 'workflow_dispatch',
        actor: 'eci-virtual',
        server_url: 'https://github.com',
        workspace: `${PATHS.workspace}/${repoName}/${repoName}`,
        ...(scope?.actionPath ? { action_path: `${PATHS.workspace}/${repoName}/${repoName}/${scope.actionPath}` } : {}),
      },
      env: Object.fromEntries(this.env),
      matrix: this.o.job.matrix ?? {},
      steps: scope ? (this.scoped.get(scope.id) ?? {}) : this.steps,
      job: { status: this.status },
      runner: {
        os: 'Linux',
        arch: 'X64',
        name: 'eci-virtual',
        temp: PATHS.temp,
        tool_cache: '/__t',
        environment: 'self-hosted',
      },
      secrets: this.o.secrets ?? {},
      inputs: scope ? this.inputsOf(scope) : {},
      needs: {},
      strategy: this.o.job.strategy ?? {},
      vars: {},
      ...extra,
    };
  }

  /** Variables every step sees, from the runner and the workflow/job `env:` (evaluated once, at job start). */
  private baseEnv(): [string, string][] {
    const ctx = this.contexts() as { github: Record<string, string> };
    const g = ctx.github;
    const base: [string, string][] = [
      ['CI', 'true'],
      ['GITHUB_ACTIONS', 'true'],
      ['GITHUB_WORKFLOW', g.workflow ?? ''],
      ['GITHUB_JOB', this.o.job.id],
      ['GITHUB_RUN_ID', g.run_id ?? '1'],
      ['GITHUB_RUN_NUMBER', '1'],
      ['GITHUB_REPOSITORY', this.o.repository],
      ['GITHUB_SHA', g.sha ?? ''],
      ['GITHUB_REF', g.ref ?? ''],
      ['GITHUB_WORKSPACE', g.workspace ?? PATHS.workspace],
      ['GITHUB_EVENT_NAME', 'workflow_dispatch'],
      ['RUNNER_OS', 'Linux'],
      ['RUNNER_ARCH', 'X64'],
      ['RUNNER_NAME', 'eci-virtual'],
      ['RUNNER_TEMP', PATHS.temp],
      ['HOME', `${PATHS.github}/home`],
    ];
    return base;
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
      this.status = 'cancelled';
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
    if (job.if && !this.o.expressions.condition(job.if, this.contexts(), 'success')) {
      clearTimeout(jobTimer);
      this.o.signal?.removeEventListener('abort', onCancel);
      const skipped: JobResult = {
        job: job.id,
        name: job.name,
        conclusion: 'skipped',
        pod: podName,
        steps: [],
        timings: { totalMs: 0 },
      };
      reporter.jobFinished(skipped);
      return skipped;
    }
    try {
      for (const [k, v] of this.baseEnv()) this.env.set(k, v);
      for (const [k, v] of Object.entries({ ...job.env, ...job.containerEnv, ...this.o.env }))
        this.env.set(k, this.o.expressions.interpolate(v, this.contexts()));
      // Values that carry a secret never go into the pod's annotation; they travel in the Secret instead.
      const secretValues = Object.values(this.o.secrets ?? {}).filter(Boolean);
      const shared = [...this.env].filter(([, v]) => !secretValues.some((s) => v.includes(s)));
      const secretEnv = [...this.env].filter(([, v]) => secretValues.some((s) => v.includes(s)));
      hasSecrets = secretEnv.length > 0;
      const pod = buildJobPod({
        name: podName,
        namespace,
        repository: this.o.repository,
        workflow: job.workflow,
        jobName: job.name,
        runId: this.o.runId ?? String(started),
        jobId: job.id,
        jobImage: this.o.expressions.interpolate(job.image ?? this.o.defaultImage, this.contexts()),
        services: job.services.map((s) => ({
          name: s.name,
          image: this.o.expressions.interpolate(s.image, this.contexts()),
          env: Object.fromEntries(
            Object.entries(s.env ?? {}).map(([k, v]) => [k, this.o.expressions.interpolate(v, this.contexts())]),
          ),
        })),
        sharedEnv: shared,
        stepContainers: job.steps.flatMap((st, i) =>
          st.container
            ? [
                {
                  name: stepContainerName(i),
                  image: this.o.expressions.interpolate(st.container.image, this.contexts()),
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
          this.endComposite(step.compositeEnd);
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
        if (result.conclusion === 'failure' && this.status === 'success') this.status = 'failure';
      }
    } catch (err) {
      error = describeError(err);
      if (!(err instanceof Cancelled)) {
        this.status = 'failure';
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
    const result: JobResult = {
      job: job.id,
      name: job.name,
      conclusion: this.status,
      pod: podName,
      ...(node ? { node } : {}),
      steps: results,
      timings,
      ...(error ? { error: this.masker.mask(error) } : {}),
    };
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
    const ctx = this.contexts({}, step.scope);
    const name = this.masker.mask(expressions.interpolate(step.name, this.contexts()));
    const skipped = (why?: string): StepResult => {
      const r: StepResult = {
        index,
        name,
        outcome: 'skipped',
        conclusion: 'skipped',
        durationMs: 0,
        outputs: {},
        execs: 0,
        ...(why ? { error: why } : {}),
      };
      if (step.id) this.stepsFor(step)[step.id] = { outputs: {}, outcome: 'skipped', conclusion: 'skipped' };
      reporter.stepFinished(r);
      return r;
    };
    let run: boolean;
    try {
      run = expressions.condition(step.if, ctx, this.status);
    } catch (err) {
      reporter.stepStarted(index, name);
      return this.finish(index, step, name, started, 'failure', undefined, {}, describeError(err), 0);
    }
    if (!run) return skipped();
    reporter.stepStarted(index, name);
    markFirst();
    if (step.checkout) return this.checkoutStep(index, step, name, started, target);
    let script: string;
    let env: [string, string][];
    let workingDirectory: string;
    try {
      const stepCtx = this.contexts({}, step.scope);
      const stepEnv = Object.entries(step.env ?? {}).map(
        ([k, v]) => [k, expressions.interpolate(v, stepCtx)] as [string, string],
      );
      const actionPath = (stepCtx as { github: { action_path?: string } }).github.action_path;
      env = [
        ...this.addedEnv(),
        ...(this.facts ? [[POD_FACTS_ENV, this.facts] as [string, string]] : []),
        ...(actionPath ? [['GITHUB_ACTION_PATH', actionPath] as [string, string]] : []),
        ...stepEnv,
      ];
      const withEnv = this.contexts(
        { env: { ...Object.fromEntries(this.env), ...Object.fromEntries(stepEnv) } },
        step.scope,
      );
      script = step.container
        ? dockerStepScript(step.container, (t) => expressions.interpolate(t, withEnv))
        : expressions.interpolate(step.run ?? '', withEnv);
      const ws = (this.contexts() as { github: { workspace: string } }).github.workspace;
      const wd = step.workingDirectory ?? this.o.job.defaults.workingDirectory;
      workingDirectory = wd ? (wd.startsWith('/') ? wd : `${ws}/${expressions.interpolate(wd, withEnv)}`) : ws;
    } catch (err) {
      return this.finish(index, step, name, started, 'failure', undefined, {}, describeError(err), 0);
    }
    const stepAbort = new AbortController();
    const onJobAbort = () => stepAbort.abort();
    jobSignal.addEventListener('abort', onJobAbort, { once: true });
    const timeout = step.timeoutMinutes ? setTimeout(() => stepAbort.abort(), step.timeoutMinutes * 60_000) : undefined;
    const lines = new LineSplitter((line) => this.line(index, line));
    try {
      const out = await runStep(this.o.transport, target, {
        wrapper: stepWrapper({
          dir: target.dir,
          script,
          shell: step.shell ?? this.o.job.defaults.shell,
          env,
          workingDirectory,
          path: this.path,
        }),
        onOutput: (chunk) => lines.push(chunk),
        signal: stepAbort.signal,
        log: this.o.log,
      });
      lines.flush();
      const outputs = this.applyFiles(out.files);
      const outcome: StepConclusion = out.exitCode === 0 ? 'success' : 'failure';
      return this.finish(
        index,
        step,
        name,
        started,
        outcome,
        out.exitCode,
        outputs,
        outcome === 'failure' ? `exit code ${out.exitCode}` : undefined,
        out.execs,
        out.files.summary,
      );
    } catch (err) {
      lines.flush();
      if (stepAbort.signal.aborted) {
        await killStep(this.o.transport, target, 3_000);
        const timedOut = !jobSignal.aborted;
        return this.finish(
          index,
          step,
          name,
          started,
          timedOut ? 'failure' : 'cancelled',
          undefined,
          {},
          timedOut ? `timed out after ${step.timeoutMinutes} minutes` : 'cancelled',
          1,
        );
      }
      return this.finish(index, step, name, started, 'failure', undefined, {}, describeError(err), 1);
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
    if (!root)
      return this.finish(
        index,
        step,
        name,
        started,
        'failure',
        undefined,
        {},
        'actions/checkout: no local working tree to upload',
        0,
      );
    try {
      const ws = (this.contexts() as { github: { workspace: string } }).github.workspace;
      const sub = step.checkout?.path ? this.o.expressions.interpolate(step.checkout.path, this.contexts()) : '';
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
      this.line(
        index,
        `checked out ${files} (${(archive.tar.length / 1048576).toFixed(1)} MiB) from ${root} into ${dest}`,
      );
      return this.finish(index, step, name, started, 'success', 0, {}, undefined, 1);
    } catch (err) {
      return this.finish(index, step, name, started, 'failure', undefined, {}, describeError(err), 1);
    }
  }

  /** A composite action's inputs, evaluated once with the caller's contexts when its first step runs. */
  private inputsOf(scope: NonNullable<StepSpec['scope']>): Record<string, string> {
    let inputs = this.scopeInputs.get(scope.id);
    if (!inputs) {
      const outer = this.contexts();
      inputs = Object.fromEntries(
        Object.entries(scope.inputs).map(([k, v]) => [k, this.o.expressions.interpolate(v, outer)]),
      );
      this.scopeInputs.set(scope.id, inputs);
    }
    return inputs;
  }

  /** After a composite action's steps: its outputs become `steps.<caller id>.outputs`. */
  private endComposite(end: NonNullable<StepSpec['compositeEnd']>): void {
    const inner = this.scoped.get(end.scope) ?? {};
    const ctx = this.contexts({}, { id: end.scope, inputs: {} });
    const outputs = Object.fromEntries(
      Object.entries(end.outputs).map(([k, v]) => [k, this.o.expressions.interpolate(v, ctx)]),
    );
    const results = Object.values(inner);
    const failed = results.some((r) => r.conclusion === 'failure');
    if (end.callerId) {
      const outcome = failed ? 'failure' : results.length ? 'success' : 'skipped';
      this.steps[end.callerId] = { outputs, outcome, conclusion: outcome };
    }
  }

  /** Variables added by earlier steps through GITHUB_ENV (not part of the pod's shared env file). */
  private addedEnv(): [string, string][] {
    return [...this.added];
  }
  private readonly added = new Map<string, string>();

  private stepsFor(
    step: StepSpec,
  ): Record<string, { outputs: Record<string, string>; outcome: string; conclusion: string }> {
    if (!step.scope) return this.steps;
    let map = this.scoped.get(step.scope.id);
    if (!map) this.scoped.set(step.scope.id, (map = {}));
    return map;
  }

  private applyFiles(files: Partial<Record<'env' | 'output' | 'path' | 'summary', string>>): Record<string, string> {
    if (files.env) {
      for (const [k, v] of parseKeyValueFile(files.env, 'GITHUB_ENV')) {
        this.env.set(k, v);
        this.added.set(k, v);
      }
    }
    if (files.path) this.path = [...parsePathFile(files.path).reverse(), ...this.path];
    return files.output ? Object.fromEntries(parseKeyValueFile(files.output, 'GITHUB_OUTPUT')) : {};
  }

  private line(index: number, raw: string): void {
    const command = this.commands.parse(raw);
    if (command?.name === 'add-mask') {
      this.masker.add(command.message);
      return;
    }
    this.o.reporter.stepLine(
      index,
      this.masker.mask(raw),
      command ? { ...command, message: this.masker.mask(command.message) } : undefined,
    );
  }

  private finish(
    index: number,
    step: StepSpec,
    name: string,
    started: number,
    outcome: StepConclusion,
    exitCode: number | undefined,
    outputs: Record<string, string>,
    error: string | undefined,
    execs: number,
    summary?: string,
  ): StepResult {
    // continue-on-error is a value, not an if: — no implicit success() (which would be false right after a failure).
    const continueOnError =
      typeof step.continueOnError === 'string'
        ? /^true$/i.test(this.o.expressions.interpolate(step.continueOnError, this.contexts({}, step.scope)).trim())
        : step.continueOnError === true;
    const conclusion: StepConclusion = outcome === 'failure' && continueOnError ? 'success' : outcome;
    if (step.id) this.stepsFor(step)[step.id] = { outputs, outcome, conclusion };
    const result: StepResult = {
      index,
      name,
      outcome,
      conclusion,
      ...(exitCode !== undefined ? { exitCode } : {}),
      durationMs: Date.now() - started,
      outputs,
      ...(summary ? { summary: this.masker.mask(summary) } : {}),
      ...(error ? { error: this.masker.mask(error) } : {}),
      execs,
    };
    this.o.reporter.stepFinished(result);
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
