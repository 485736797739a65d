/**
 * Runs one workflow job as ONE pod, start to end: set up its env, create the pod, wait for it to run, run the steps,
 * evaluate the job's `outputs:`, and always clean up — under cancellation by the caller's signal or the job's
 * timeout-minutes. Whether the job runs at all (its `if:` and its needs) is the scheduler's (scheduler.ts).
 * `run()` is that story; the parts live next to it:
 *
 * - job-contexts.ts      the expression contexts and how steps change them (outputs, GITHUB_ENV/PATH, composites)
 * - job-pod-lifecycle.ts the pod and its Secret: create, wait for running, pod facts, delete or keep
 * - job-files.ts         the event payload (GITHUB_EVENT_PATH) and remote actions, put into the pod before step 1
 * - pod-agents.ts        the pod's step agents, one `eci-agent dial` exec per container (when it has agents)
 * - job-cancellation.ts  Ctrl-C and timeout-minutes as one signal
 * - step-loop.ts         each step: `if:`, checkout / run / docker://, continue-on-error (rules in conclusions.ts)
 * - output/job-output.ts masking and workflow commands of everything reported
 */
import { Cancelled, describeError } from '@eci-virtual/contract';
import type { ExecTransport } from '../kube/exec.js';
import { jobOutputs, jobResult, type JobEnd } from './conclusions.js';
import { JobCancellation } from './job-cancellation.js';
import { JobContexts } from './job-contexts.js';
import { JobPod, jobPodName, type JobPodOptions } from './job-pod-lifecycle.js';
import { JobOutput } from './output/job-output.js';
import { PodAgents } from './pod-agents.js';
import type { JobResult } from './reporter.js';
import type { RunEvent } from './run-event.js';
import { StepLoop } from './step-loop.js';
import { uploadJobFiles } from './job-files.js';

export interface JobRunOptions extends JobPodOptions {
  transport: ExecTransport;
  /** Extra variables from the command line (`--env`), shared by all steps. */
  env?: Record<string, string>;
  signal?: AbortSignal;
  sha?: string;
  ref?: string;
  /** `github.event_name` / `github.event` (run-event.ts). */
  event?: RunEvent;
  /** Local directory `actions/checkout` uploads (eci-virtual run: the current directory). */
  checkoutRoot?: string;
  /** The `needs` context: results and outputs of the jobs this one needs. */
  needs?: Record<string, { result: string; outputs: Record<string, string> }>;
}

export class JobRunner {
  private readonly contexts: JobContexts;
  private readonly output: JobOutput;

  constructor(private readonly o: JobRunOptions) {
    this.contexts = new JobContexts(o, o.expressions);
    this.output = new JobOutput(o.reporter, o.secrets);
  }

  async run(): Promise<JobResult> {
    const { job, reporter } = this.o;
    const started = Date.now();
    const timings: JobResult['timings'] = { totalMs: 0 };
    const pod = new JobPod(this.o, jobPodName(job.id), started, timings);
    reporter.jobStarted({ id: job.id, name: job.name, pod: pod.name });

    const cancellation = new JobCancellation({
      signal: this.o.signal,
      timeoutMinutes: job.timeoutMinutes,
      onCancel: () => {
        this.contexts.status = 'cancelled';
      },
      warn: (message) => reporter.warn(message),
    });
    const agents = this.o.agentImage
      ? new PodAgents(this.o.transport, pod.ref, pod.log, (message) => reporter.warn(message))
      : undefined;
    const steps = new StepLoop({
      ...this.o,
      contexts: this.contexts,
      output: this.output,
      ...(agents ? { agents } : {}),
    });
    let error: string | undefined;
    let guard: { stop: () => void } | undefined;
    let setupExecs = 0;
    cancellation.start();
    try {
      this.contexts.startEnv(this.o.env);
      await pod.create(this.contexts);
      const facts = await pod.waitRunning(cancellation.signal);
      // A service that stops from here on fails the job (its running step is stopped, the rest see failure()).
      guard = pod.guard((reason) => {
        this.contexts.status = 'failure';
        cancellation.fail(reason);
      });
      const event = JSON.stringify(this.o.event?.payload ?? {});
      const files = { event, actions: job.actions ?? [] };
      const setup = await uploadJobFiles(this.o.transport, pod.ref, files, agents);
      setupExecs = setup.execs;
      pod.log.info(setup.line, { execs: setup.execs });
      await steps.run(pod.ref, facts, cancellation.signal, () => (timings.firstStepMs ??= Date.now() - started));
      if (cancellation.failure) error = cancellation.failure;
    } catch (err) {
      error = cancellation.failure ?? describeError(err);
      if (!(err instanceof Cancelled)) {
        this.contexts.status = 'failure';
        pod.log.warn('job failed', { err: error });
      }
    } finally {
      guard?.stop();
      cancellation.stop();
      await agents?.close();
      await pod.remove();
    }
    timings.totalMs = Date.now() - started;
    const outputs = this.outputs();
    const end: JobEnd = {
      job,
      pod: pod.name,
      node: pod.node,
      status: this.contexts.status,
      steps: steps.results,
      timings,
      error,
    };
    const result = { ...jobResult(end, (text) => this.output.mask(text)), setupExecs };
    return this.report(Object.keys(outputs).length ? { ...result, outputs } : result);
  }

  /** `jobs.<id>.outputs`, evaluated with the contexts the job ended with (rules in conclusions.ts). */
  private outputs(): Record<string, string> {
    const { job, expressions, reporter } = this.o;
    return jobOutputs(
      job.outputs ?? {},
      (expr) => expressions.interpolate(expr, this.contexts.get()),
      (text) => this.output.mask(text),
      (message) => reporter.warn(`${job.name}: ${message}`),
    );
  }

  private report(result: JobResult): JobResult {
    this.o.reporter.jobFinished(result);
    return result;
  }
}
