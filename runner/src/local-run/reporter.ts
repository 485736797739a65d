/** What a job run tells its caller as it goes (the CLI renders it; the controller records it). */
import type { WorkflowCommand } from './output/workflow-commands.js';

export type StepConclusion = 'success' | 'failure' | 'skipped' | 'cancelled';

export interface StepResult {
  index: number;
  name: string;
  outcome: StepConclusion;
  conclusion: StepConclusion;
  exitCode?: number;
  durationMs: number;
  outputs: Record<string, string>;
  summary?: string;
  error?: string;
  execs: number;
}

export type JobConclusion = 'success' | 'failure' | 'cancelled' | 'skipped';

export interface JobResult {
  job: string;
  name: string;
  conclusion: JobConclusion;
  pod: string;
  node?: string;
  steps: StepResult[];
  /** Milliseconds from start to pod created, scheduled and running, and to the first step running. */
  timings: { podCreatedMs?: number; scheduledMs?: number; runningMs?: number; firstStepMs?: number; totalMs: number };
  error?: string;
  /**
   * Execs the job's setup took (event payload and remote actions into the pod, job-files.ts) besides its steps': with
   * agents, the job container's stream opens here, so its exec counts here and not in the first step's.
   */
  setupExecs?: number;
  /** `jobs.<id>.outputs`, evaluated when the job ended (outputs that carry a secret are dropped). */
  outputs?: Record<string, string>;
}

export interface JobReporter {
  jobStarted(job: { id: string; name: string; pod: string }): void;
  podScheduled(node: string, ms: number): void;
  podRunning(ms: number): void;
  stepStarted(index: number, name: string): void;
  /** One output line, already masked; `command` is set for workflow commands (group, error, warning...). */
  stepLine(index: number, line: string, command?: WorkflowCommand): void;
  stepFinished(result: StepResult): void;
  jobFinished(result: JobResult): void;
  warn(message: string): void;
}
