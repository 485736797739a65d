/** The workflow model `eci-virtual run` executes (a subset of GitHub's syntax; the rest is reported, not ignored). */
export interface WorkflowStep {
  id?: string;
  name?: string;
  if?: string;
  run?: string;
  shell?: string;
  env?: Record<string, string>;
  workingDirectory?: string;
  continueOnError?: boolean | string;
  timeoutMinutes?: number;
  uses?: string;
  with?: Record<string, string>;
  line: number;
}

export interface WorkflowJob {
  id: string;
  name?: string;
  needs: string[];
  runsOn: unknown;
  env: Record<string, string>;
  defaults: { shell?: string; workingDirectory?: string };
  if?: string;
  timeoutMinutes?: number;
  container?: { image: string; env: Record<string, string> };
  services: Record<string, { image: string; env: Record<string, string> }>;
  matrix?: Record<string, unknown>;
  /** `strategy.fail-fast` (GitHub's default: true) and `strategy.max-parallel` (default: no limit). */
  failFast: boolean;
  maxParallel?: number;
  /** `outputs:` — name to expression, evaluated with the job's contexts when it ends. */
  outputs: Record<string, string>;
  steps: WorkflowStep[];
  line: number;
}

export interface Workflow {
  file: string;
  name: string;
  env: Record<string, string>;
  defaults: { shell?: string; workingDirectory?: string };
  jobs: WorkflowJob[];
  warnings: string[];
}
