/** Names and labels of everything the controller creates for one job; derived from the job id, so work is idempotent. */
import { ANNOTATION, LABEL } from '../../jobpod/pod-builder.js';

export const RUNNER_COMPONENT = 'runner-job';
export const RUNNER_CONTAINER = 'runner';
export const HOOKS_INIT_CONTAINER = 'eci-hooks';
export const JIT_SECRET_KEY = 'jitconfig';

/** The job-pod labels the run engine uses too (pod-builder.ts), plus the runner registration. */
export const LABELS = { ...LABEL, runnerId: 'eci-virtual.dev/runner-id' } as const;

export const ANNOTATIONS = {
  repo: ANNOTATION.repo,
  jobName: ANNOTATION.job,
  workflow: ANNOTATION.workflow,
  queuedAt: 'eci-virtual.dev/queued-at',
  runnerName: 'eci-virtual.dev/runner-name',
  htmlUrl: 'eci-virtual.dev/html-url',
  planProblem: 'eci-virtual.dev/plan-problem',
} as const;

export const jobResourceName = (jobId: number | string): string => `eci-job-${jobId}`;
export const jitSecretName = (jobId: number | string): string => `eci-job-${jobId}-jit`;
export const runnerName = (jobId: number | string): string => `eci-virtual-${jobId}`;

/** Label values allow [A-Za-z0-9_.-], ≤ 63 chars, alphanumeric at both ends. */
export const labelValue = (v: string): string =>
  v
    .replace(/[^A-Za-z0-9_.-]/g, '_')
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');

export const jobSelector = (jobId: number | string): string =>
  `${LABELS.component}=${RUNNER_COMPONENT},${LABELS.jobId}=${jobId}`;
export const allJobsSelector = `${LABELS.component}=${RUNNER_COMPONENT}`;
