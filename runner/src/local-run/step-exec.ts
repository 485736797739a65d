/**
 * Runs one prepared step in the job pod through step-transport and says how it ended: its exit code and file
 * commands, a timeout (`timeout-minutes`: the step is killed and fails), a cancellation of the job (the step is
 * killed and is cancelled), or a transport error. Output lines go to `onLine` as they arrive. The step goes through
 * its container's agent over the job's one `eci-agent dial` exec (pod-agents.ts, step-transport/agent-step.ts) when
 * the pod has agents, else with one exec of its own (step-transport/step-runner.ts); both keep a durable log and
 * result read back by byte offset.
 *
 * Separate from the step loop because this is the only part of a step that waits on the pod; the loop around it
 * decides what to run and what the outcome means.
 */
import { describeError } from '@eci-virtual/contract';
import type { ExecTransport } from '../kube/exec.js';
import type { Logger } from '../observability/logger.js';
import { runAgentStep } from '../step-transport/agent-step.js';
import { stepWrapper } from '../step-transport/step-script.js';
import { killStep, runStep, type StepTarget } from '../step-transport/step-runner.js';
import type { StepEnd } from './conclusions.js';
import type { StepFiles } from './job-contexts.js';
import { LineSplitter } from './output/line-splitter.js';
import type { PodAgents } from './pod-agents.js';
import type { StepConclusion } from './reporter.js';
import type { PreparedStep } from './step-prepare.js';

/** A killed step gets SIGTERM, then SIGKILL after this. */
const KILL_GRACE_MS = 3_000;

/** How the exec of a step ended; the step loop adds which step it was. */
export type ExecEnd = Omit<StepEnd, 'index' | 'step' | 'name' | 'started'>;

export interface StepExecOptions {
  transport: ExecTransport;
  log: Logger;
  target: StepTarget;
  /** The pod's agents (undefined: the pod has none, every step is one exec). */
  agents?: PodAgents;
  /** Unique among the job's steps: names the step to its container's agent. */
  stepId: string;
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
  // Execs of the pod's agent streams, the one that opens for this step's container included.
  const execsBefore = o.agents ? await o.agents.execs() : 0;
  const link = o.agents ? await o.agents.link(o.target.container) : undefined;
  const execsSince = async () => (o.agents ? (await o.agents.execs()) - execsBefore : 0);
  try {
    const wrapper = stepWrapper({ dir: o.target.dir, shell: o.shell, path: o.path, ...o.prepared });
    const onOutput = (chunk: Buffer) => lines.push(chunk);
    const out = link
      ? {
          ...(await runAgentStep(link.client, {
            id: o.stepId,
            dir: o.target.dir,
            wrapper,
            onOutput,
            signal: stepAbort.signal,
            graceSeconds: KILL_GRACE_MS / 1000,
            log: o.log,
          })),
          execs: await execsSince(),
        }
      : await runStep(o.transport, o.target, { wrapper, onOutput, signal: stepAbort.signal, log: o.log });
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
    // The agent path cancelled the step through the agent already (its process group, then waited for it).
    if (stepAbort.signal.aborted && !link) await killStep(o.transport, o.target, KILL_GRACE_MS);
    const execs = link ? await execsSince() : 1;
    if (stepAbort.signal.aborted) {
      const timedOut = !o.jobSignal.aborted;
      return timedOut
        ? { outcome: 'failure', outputs: {}, error: `timed out after ${o.timeoutMinutes} minutes`, execs }
        : { outcome: 'cancelled', outputs: {}, error: 'cancelled', execs };
    }
    return { outcome: 'failure', outputs: {}, error: describeError(err), execs };
  } finally {
    if (timeout) clearTimeout(timeout);
    o.jobSignal.removeEventListener('abort', onJobAbort);
  }
}
