/**
 * The shape of a job pod that every part relies on: container names (the hooks find their targets by name, the
 * portal and `actions/placement` read resources from the job container, `actions/build-image` hands builds to the
 * kaniko container) and the paths of the shared workspace inside the containers.
 */

/** Container names in a job pod. */
export const CONTAINER = {
  /** The workflow's `container:` (or the default image under `eci-virtual run`). */
  job: 'job',
  /** Unprivileged image builds, idle until a step hands it a build over the spool. */
  kaniko: 'kaniko',
  /** The official runner (controller pods only). */
  runner: 'runner',
  /** Init container copying our container hooks into the runner container. */
  hooksInit: 'eci-hooks',
  /** Init container installing the step agent and the pod's token (agent.ts). */
  agentInit: 'eci-agent',
  /** Init container copying the runner's externals (node for JavaScript actions) to `/__e`. */
  externalsInit: 'runner-externals',
} as const;

const SERVICE_PREFIX = 'svc-';
const STEP_PREFIX = 'step-';

/** The container of `services.<name>`; `<name>` also resolves to 127.0.0.1 in the pod. */
export const serviceContainerName = (service: string): string => `${SERVICE_PREFIX}${service}`;
export const isServiceContainer = (name: string): boolean => name.startsWith(SERVICE_PREFIX);
/** The container of the i-th distinct `docker://` step image. */
export const stepContainerName = (index: number): string => `${STEP_PREFIX}${index}`;
export const isStepContainer = (name: string): boolean => name.startsWith(STEP_PREFIX);

/** Paths inside the job pod's containers. */
export const PATHS = {
  /** The runner's `_work`: the shared emptyDir. */
  workspace: '/__w',
  temp: '/__w/_temp',
  /** Durable step logs and results (step-transport). */
  steps: '/__w/_temp/_eci/steps',
  /** Requests to helper containers, one directory per container (spool-agent.ts). */
  spool: '/__w/_temp/_eci/spool',
  /** Facts about the job pod (placement, start latency) written by the engine for steps to report. */
  podFacts: '/__w/_temp/_eci/pod.json',
  /** The runner's externals (node for JavaScript actions), read-only. */
  externals: '/__e',
  github: '/github',
  envDir: '/__eci/env',
  envFile: '/__eci/env/env',
  secretsDir: '/__eci/secrets',
  secretsFile: '/__eci/secrets/env',
} as const;

/** The kaniko image has no /bin (every build empties it); its shell is busybox's, kept by --ignore-path. */
export const KANIKO_SHELL = '/busybox/sh';
