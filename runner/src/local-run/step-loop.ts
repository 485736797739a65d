/**
 * The steps of a job, in order, in its running pod: the actions' `pre` steps first, then for each step, evaluate its
 * name and `if:`, then run it — `actions/checkout` as an upload of the working tree, `run:` and `docker://` steps
 * through step-exec — and conclude it (continue-on-error, `steps.<id>`, the job's status); at the end the `post`
 * steps of the actions that ran, the last first. The end of a composite action runs nothing: it maps the action's
 * outputs onto its caller's step id.
 *
 * The rules are in conclusions.ts, the state in job-contexts.ts, the waiting in step-exec.ts; this module is the
 * order in which they apply to one step.
 */
import { CONTAINER, describeError, PATHS, stepContainerName } from '@eci-virtual/contract';
import type { ExecTransport } from '../kube/exec.js';
import type { Logger } from '../observability/logger.js';
import type { StepTarget } from '../step-transport/step-runner.js';
import { checkoutDestination, uploadWorkingTree } from './checkout.js';
import {
  conclude,
  continuesOnError,
  jobStatusAfter,
  skippedStep,
  stepGate,
  stepResult,
  type StepEnd,
} from './conclusions.js';
import type { JobContexts } from './job-contexts.js';
import type { ExpressionEngine, JobSpec, StepSpec } from './job-spec.js';
import type { JobOutput } from './output/job-output.js';
import type { PodAgents } from './pod-agents.js';
import type { JobReporter, StepResult } from './reporter.js';
import { execStep, type ExecEnd } from './step-exec.js';
import { prepareStep } from './step-prepare.js';

export interface StepLoopOptions {
  job: JobSpec;
  expressions: ExpressionEngine;
  reporter: JobReporter;
  transport: ExecTransport;
  log: Logger;
  contexts: JobContexts;
  output: JobOutput;
  /** Local directory `actions/checkout` uploads; without it checkout steps fail. */
  checkoutRoot?: string;
  /** The pod's step agents, when it has them (else each step is one exec). */
  agents?: PodAgents;
}

/** Where step `index` of `job` runs: its own container for `docker://` steps, else the job container. */
export function stepTarget(pod: { namespace: string; name: string }, job: JobSpec, index: number): StepTarget {
  return {
    pod,
    container: job.steps[index]?.container ? stepContainerName(index) : CONTAINER.job,
    dir: `${PATHS.steps}/${index}`,
  };
}

export class StepLoop {
  /** The results of the steps so far, in order: complete when run() returns, and what ran when it throws. */
  readonly results: StepResult[] = [];

  constructor(private readonly o: StepLoopOptions) {}

  /**
   * Runs every step. `facts` is the pod facts JSON; `signal` cancels the job (running steps are killed, the rest
   * are evaluated with the job cancelled, so `always()` steps still run); `markFirst` is called when the first step
   * starts.
   */
  async run(
    pod: { namespace: string; name: string },
    facts: string | undefined,
    signal: AbortSignal,
    markFirst: () => void,
  ): Promise<void> {
    const { job, contexts } = this.o;
    // Extra steps (pre, post) get step directories after the job's own steps.
    let extra = job.steps.length;
    const runExtra = async (main: number, step: StepSpec) => {
      const index = extra++;
      // A docker action's pre/post runs in its main step's container; a JavaScript one's in the job container.
      const target = { ...stepTarget(pod, job, main), dir: `${PATHS.steps}/${index}` };
      const result = await this.runOne(index, step, target, facts, signal, markFirst);
      this.results.push(result);
      contexts.status = jobStatusAfter(contexts.status, result.conclusion);
    };
    // Every action's pre first, in order (runner: the job's pre steps run before its main steps).
    for (let i = 0; i < job.steps.length; i++) {
      const pre = job.steps[i]!.pre;
      if (pre) await runExtra(i, pre);
    }
    const posts: { main: number; step: StepSpec }[] = [];
    for (let i = 0; i < job.steps.length; i++) {
      const step = job.steps[i]!;
      if (step.compositeEnd) {
        contexts.endComposite(step.compositeEnd);
        continue;
      }
      const result = await this.runOne(i, step, stepTarget(pod, job, i), facts, signal, markFirst);
      this.results.push(result);
      contexts.status = jobStatusAfter(contexts.status, result.conclusion);
      // The post is registered when the main step runs (ActionRunner.cs RegisterPostJobStep), not when it is skipped.
      if (step.post && result.conclusion !== 'skipped') posts.push({ main: i, step: step.post });
    }
    // Posts at the end, the last registered first (ExecutionContext.PostJobSteps is a stack), under post-if.
    for (const p of posts.reverse()) await runExtra(p.main, p.step);
  }

  private async runOne(
    index: number,
    step: StepSpec,
    target: StepTarget,
    facts: string | undefined,
    signal: AbortSignal,
    markFirst: () => void,
  ): Promise<StepResult> {
    const { expressions, reporter, contexts, output } = this.o;
    const started = Date.now();
    // The step's contexts first: a composite action's inputs are evaluated when its first step comes up.
    const ctx = contexts.get({}, step.scope);
    const name = output.mask(expressions.interpolate(step.name, contexts.get()));
    const gate = stepGate(expressions, step.if, ctx, contexts.status);
    if (gate === 'skip') return this.skip(index, step, name);
    reporter.stepStarted(index, name);
    const end = (how: ExecEnd) => this.finish({ index, step, name, started, ...how });
    if (gate !== 'run') return end({ outcome: 'failure', outputs: {}, error: gate.failed, execs: 0 });
    markFirst();
    if (step.checkout) return end(await this.checkout(index, step, target));
    let prepared;
    try {
      prepared = prepareStep(step, contexts, expressions, this.o.job.defaults, facts);
    } catch (err) {
      return end({ outcome: 'failure', outputs: {}, error: describeError(err), execs: 0 });
    }
    return end(
      await execStep({
        transport: this.o.transport,
        log: this.o.log,
        target,
        ...(this.o.agents ? { agents: this.o.agents } : {}),
        stepId: `step-${index}`,
        prepared,
        shell: step.shell ?? this.o.job.defaults.shell,
        path: contexts.pathEntries(),
        timeoutMinutes: step.timeoutMinutes,
        jobSignal: signal,
        onLine: (line) => output.line(index, line),
        applyFiles: (files) => contexts.applyFiles(files, step.state),
      }),
    );
  }

  /** `actions/checkout`: the local working tree, uploaded with one exec (checkout.ts). */
  private async checkout(index: number, step: StepSpec, target: StepTarget): Promise<ExecEnd> {
    const { checkoutRoot: root, contexts, expressions, transport, output } = this.o;
    if (!root)
      return { outcome: 'failure', outputs: {}, error: 'actions/checkout: no local working tree to upload', execs: 0 };
    try {
      const sub = step.checkout?.path ? expressions.interpolate(step.checkout.path, contexts.get()) : '';
      const line = await uploadWorkingTree(transport, target.pod, root, checkoutDestination(contexts.workspace(), sub));
      output.line(index, line);
      return { outcome: 'success', exitCode: 0, outputs: {}, execs: 1 };
    } catch (err) {
      return { outcome: 'failure', outputs: {}, error: describeError(err), execs: 1 };
    }
  }

  private skip(index: number, step: StepSpec, name: string): StepResult {
    this.o.contexts.recordStep(step, { outputs: {}, outcome: 'skipped', conclusion: 'skipped' });
    const result = skippedStep(index, name);
    this.o.reporter.stepFinished(result);
    return result;
  }

  /** Concludes a step: continue-on-error, its `steps.<id>` entry, its masked result to the reporter. */
  private finish(end: StepEnd): StepResult {
    const { contexts, expressions, output, reporter } = this.o;
    const continueOnError = continuesOnError(end.step, (text) =>
      expressions.interpolate(text, contexts.get({}, end.step.scope)),
    );
    const conclusion = conclude(end.outcome, continueOnError);
    contexts.recordStep(end.step, { outputs: end.outputs, outcome: end.outcome, conclusion });
    const result = stepResult(end, conclusion, Date.now(), (text) => output.mask(text));
    reporter.stepFinished(result);
    return result;
  }
}
