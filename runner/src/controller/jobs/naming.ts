/** Names of everything the controller creates for one job; derived from the job id, so work is idempotent. */
import { COMPONENT, LABEL } from '@eci-virtual/contract';

export const JIT_SECRET_KEY = 'jitconfig';

export const jobResourceName = (jobId: number | string): string => `eci-job-${jobId}`;
export const jitSecretName = (jobId: number | string): string => `eci-job-${jobId}-jit`;
export const runnerName = (jobId: number | string): string => `eci-virtual-${jobId}`;

/** Every job pod, Secret, ServiceAccount and Role of the controller. */
export const allJobsSelector = `${LABEL.component}=${COMPONENT.runnerJob}`;
