/**
 * How steps and jobs conclude, as pure functions: whether a step's `if:` lets it run, what continue-on-error makes of
 * a failed outcome, how a step's conclusion moves the job's status, and the StepResult / JobResult the reporter gets.
 *
 * These are the rules a reader checks against GitHub's documentation, so they sit apart from the code that waits on
 * pods and exec streams, and are tested without one.
 */
import { describeError } from '@eci-virtual/contract';
import type { Contexts, ExpressionEngine, JobSpec, JobStatus, StepSpec } from './job-spec.js';
import type { JobConclusion, JobResult, StepConclusion, StepResult } from './reporter.js';

/** A step's `if:` decides: run it, skip it, or fail it (the expression could not be evaluated). */
export type StepGate = 'run' | 'skip' | { failed: string };

export function stepGate(
  expressions: ExpressionEngine,
  ifText: string | undefined,
  contexts: Contexts,
  status: JobStatus,
): StepGate {
  try {
    return expressions.condition(ifText, contexts, status) ? 'run' : 'skip';
  } catch (err) {
    return { failed: describeError(err) };
  }
}

/**
 * continue-on-error is a value, not an if: — no implicit success() (which would be false right after a failure).
 * `interpolate` is only called for an expression (a string), with the step's contexts.
 */
export function continuesOnError(step: StepSpec, interpolate: (text: string) => string): boolean {
  return typeof step.continueOnError === 'string'
    ? /^true$/i.test(interpolate(step.continueOnError).trim())
    : step.continueOnError === true;
}

/** A failure under continue-on-error concludes as success; `steps.<id>.outcome` keeps the failure. */
export function conclude(outcome: StepConclusion, continueOnError: boolean): StepConclusion {
  return outcome === 'failure' && continueOnError ? 'success' : outcome;
}

/** A failed step fails a job that was succeeding; a cancelled or failed job stays as it is. */
export function jobStatusAfter(status: JobStatus, step: StepConclusion): JobStatus {
  return step === 'failure' && status === 'success' ? 'failure' : status;
}

/** How a step ended, before continue-on-error: everything its StepResult is made of. */
export interface StepEnd {
  index: number;
  step: StepSpec;
  /** Display name, already evaluated and masked. */
  name: string;
  /** Date.now() when the step began. */
  started: number;
  outcome: StepConclusion;
  exitCode?: number;
  outputs: Record<string, string>;
  error?: string;
  /** Exec sessions the step used. */
  execs: number;
  /** GITHUB_STEP_SUMMARY. */
  summary?: string;
}

/** The result of a step that ran (or failed before running); `mask` hides secrets in the summary and error. */
export function stepResult(
  end: StepEnd,
  conclusion: StepConclusion,
  finishedAt: number,
  mask: (text: string) => string,
): StepResult {
  return {
    index: end.index,
    name: end.name,
    outcome: end.outcome,
    conclusion,
    ...(end.exitCode !== undefined ? { exitCode: end.exitCode } : {}),
    durationMs: finishedAt - end.started,
    outputs: end.outputs,
    ...(end.summary ? { summary: mask(end.summary) } : {}),
    ...(end.error ? { error: mask(end.error) } : {}),
    execs: end.execs,
  };
}

/** The result of a step whose `if:` was false. */
export function skippedStep(index: number, name: string): StepResult {
  return { index, name, outcome: 'skipped', conclusion: 'skipped', durationMs: 0, outputs: {}, execs: 0 };
}

/** How a job ended: everything its JobResult is made of. */
export interface JobEnd {
  job: Pick<JobSpec, 'id' | 'name'>;
  pod: string;
  node?: string;
  status: JobStatus;
  steps: StepResult[];
  timings: JobResult['timings'];
  /** Why the job stopped early (pod creation, start timeout, cancellation, …). */
  error?: string;
}

export function jobResult(end: JobEnd, mask: (text: string) => string): JobResult {
  return {
    job: end.job.id,
    name: end.job.name,
    conclusion: end.status,
    pod: end.pod,
    ...(end.node ? { node: end.node } : {}),
    steps: end.steps,
    timings: end.timings,
    ...(end.error ? { error: mask(end.error) } : {}),
  };
}

/**
 * The result of a job that did not run, so no pod was created: skipped (its `if:` or its needs), cancelled before it
 * started (Ctrl-C, fail-fast) or failed before it started (a bad `if:`). `reason` says which.
 */
export function jobNotRun(job: Pick<JobSpec, 'id' | 'name'>, conclusion: JobConclusion, reason: string): JobResult {
  return { job: job.id, name: job.name, conclusion, pod: '', steps: [], timings: { totalMs: 0 }, error: reason };
}

/**
 * `jobs.<id>.outputs` from their expressions (`evaluate` throws on a bad one). As on GitHub, an output that carries a
 * secret (or a value masked with ::add-mask::) is dropped with a warning rather than passed on masked; so is one whose
 * expression fails.
 */
export function jobOutputs(
  outputs: Record<string, string>,
  evaluate: (expr: string) => string,
  mask: (text: string) => string,
  warn: (message: string) => void,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, expr] of Object.entries(outputs)) {
    let value: string;
    try {
      value = evaluate(expr);
    } catch (err) {
      warn(`output ${name}: ${mask(describeError(err))}`);
      continue;
    }
    if (mask(value) !== value) warn(`output ${name} is dropped: it may contain a secret`);
    else out[name] = value;
  }
  return out;
}
