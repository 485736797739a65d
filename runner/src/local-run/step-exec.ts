/**
 * Runs one prepared step in the job pod through step-transport (one exec, durable log and result) and says how it
 * ended: its exit code and file commands, a timeout (`timeout-minutes`: the step is killed and fails), a cancellation
 * of the job (the step is killed and is cancelled), or a transport error. Output lines go to `onLine` as they arrive.
 *
 * Separate from the step loop because this is the only part of a step that waits on the pod; the loop around it
 * decides what to run and what the outcome means.
 */
import { describeError } from '@eci-virtual/contract';
import type { ExecTransport } from '../kube/exec.js';
import type { Logger } from '../observability/logger.js';
import { stepWrapper } from '../step-transport/step-script.js';
import { killStep, runStep, type StepTarget } from '../step-transport/step-runner.js';
import type { StepEnd } from './conclusions.js';
import type { StepFiles } from './job-contexts.js';
import { LineSplitter } from './output/line-splitter.js';
import type { StepConclusion } from './reporter.js';
import type { PreparedStep } from './step-prepare.js';

/** How the exec of a step ended; the step loop adds which step it was. */
export type ExecEnd = Omit<StepEnd, 'index' | 'step' | 'name' | 'started'>;

export interface StepExecOptions {
  transport: ExecTransport;
  log: Logger;
  target: StepTarget;
  prepared: PreparedStep;
  shell: string | undefined;
  /** GITHUB_PATH entries so far, the latest first. */
  path: string[];
  timeoutMinutes: number | undefined;
  /** Aborted when the job is cancelled (Ctrl-C or the job's timeout-minutes). */
  jobSignal: AbortSignal;
  onLine: (line: string) => void;
  /** Applies the step's GITHUB_ENV/GITHUB_PATH and returns its GITHUB_OUTPUT; may throw on a malformed file. */
  applyFiles: (files: StepFiles) => Record<string, string>;
}

export async function execStep(o: StepExecOptions): Promise<ExecEnd> {
  const stepAbort = new AbortController();
  const onJobAbort = () => stepAbort.abort();
  o.jobSignal.addEventListener('abort', onJobAbort, { once: true });
  const timeout = o.timeoutMinutes ? setTimeout(() => stepAbort.abort(), o.timeoutMinutes * 60_000) : undefined;
  const lines = new LineSplitter(o.onLine);
  try {
    const out = await runStep(o.transport, o.target, {
      wrapper: stepWrapper({ dir: o.target.dir, shell: o.shell, path: o.path, ...o.prepared }),
      onOutput: (chunk) => lines.push(chunk),
      signal: stepAbort.signal,
      log: o.log,
    });
    lines.flush();
    const outputs = o.applyFiles(out.files);
    const outcome: StepConclusion = out.exitCode === 0 ? 'success' : 'failure';
    return {
      outcome,
      exitCode: out.exitCode,
      outputs,
      ...(outcome === 'failure' ? { error: `exit code ${out.exitCode}` } : {}),
      execs: out.execs,
      ...(out.files.summary !== undefined ? { summary: out.files.summary } : {}),
    };
  } catch (err) {
    lines.flush();
    if (stepAbort.signal.aborted) {
      await killStep(o.transport, o.target, 3_000);
      const timedOut = !o.jobSignal.aborted;
      return timedOut
        ? { outcome: 'failure', outputs: {}, error: `timed out after ${o.timeoutMinutes} minutes`, execs: 1 }
        : { outcome: 'cancelled', outputs: {}, error: 'cancelled', execs: 1 };
    }
    return { outcome: 'failure', outputs: {}, error: describeError(err), execs: 1 };
  } finally {
    if (timeout) clearTimeout(timeout);
    o.jobSignal.removeEventListener('abort', onJobAbort);
  }
}
