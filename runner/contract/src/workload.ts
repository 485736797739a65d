/**
 * Workload pods — how a runner that got another job than its pod was built for still runs that job in containers of
 * the job's own shape (issue #18). GitHub hands a queued job to any idle runner with matching labels, so the runner
 * in the pod built for job X may take job Y. Its `prepare_job` hook then asks the controller (the matchmaker) over
 * HTTP; the controller learns which job the runner really took and either answers "your own pod fits" or builds a
 * **workload pod** W for that job (its images, services, step images, resources, kaniko, pull credentials). The
 * hooks then drive W's step agents over the pod network and copy the runner's work folder to and from W.
 *
 *   runner pod P (runner + its hooks) ──POST /v1/workloads (Bearer <per-pod token>)──▶ controller
 *   controller: which job did P's runner take? (in_progress webhook, else the REST API) → plan of that job
 *               → Secret <W> (agents' token, evaluated env) [+ Secret <W>-pull] → Pod <W> (owner: P)
 *   hooks ──TCP <W's IP>:<port>──▶ eci-agent serve --listen in W's job/step containers
 *
 * The controller and the hooks agree on this file only: the wire types, the env the runner container gets, the
 * token's construction (HMAC-SHA256 over the pod's namespace and name; stateless, so any controller replica checks
 * it), the agents' ports and token path in W.
 */
import { AGENT, agentStateDir } from './agent.js';
import { PATHS } from './pod-layout.js';

/** Env of the runner container (from the controller; the token through the per-job JIT Secret, never literally). */
export const WORKLOAD_ENV = {
  /** Where the hooks reach the controller, e.g. `http://eci-virtual-controller.eci-system.svc:8080`. */
  controllerUrl: 'ECI_VIRTUAL_CONTROLLER_URL',
  /** The runner pod's token for `/v1/workloads`. */
  token: 'ECI_VIRTUAL_WORKLOAD_TOKEN',
} as const;

/** The JIT Secret's key holding the runner pod's workload token. */
export const WORKLOAD_TOKEN_SECRET_KEY = 'workload-token';

export const WORKLOAD_ROUTES = {
  /** POST: ask (idempotently) for the workload of the runner pod named in the body; answers WorkloadAnswer. */
  request: '/v1/workloads',
  /** DELETE: the runner pod is done with its workload pod. */
  workload: (runnerPod: string) => `/v1/workloads/${encodeURIComponent(runnerPod)}`,
} as const;

/** What the token signs: the runner pod, by namespace and name. */
export const workloadTokenSubject = (namespace: string, pod: string): string => `workload:${namespace}/${pod}`;

/** Domain-separation label of the key derived from the webhook secret when no key of its own is configured. */
export const WORKLOAD_KEY_LABEL = 'eci-virtual workload token key v1';

/** In W: the Secret volume with the agents' token (not the agent volume, whose token `eci-agent install` makes). */
export const WORKLOAD_AGENT = {
  volume: 'eci-workload',
  dir: '/__eci/workload',
  token: '/__eci/workload/token',
  /** The job container's agent listens here; step containers on the following ports (one netns per pod). */
  firstPort: 41341,
} as const;

/** The command of a step-running container of W: its agent on TCP, idle until asked. */
export function workloadServeCommand(container: string, port: number): string[] {
  return [
    AGENT.binary,
    'serve',
    '--listen',
    `0.0.0.0:${port}`,
    '--name',
    container,
    '--token-file',
    WORKLOAD_AGENT.token,
    '--state-dir',
    agentStateDir(PATHS.workspace, container),
  ];
}

/** A container as the runner hands it to `prepare_job` (HookInput.cs HookContainer), what W needs of it. */
export interface WorkloadContainerArgs {
  image: string;
  entryPoint?: string;
  entryPointArgs?: string[];
  createOptions?: string;
  /** Evaluated by the runner (secrets included): W gets them through its Secret, never in the pod spec. */
  environmentVariables?: Record<string, string>;
  registry?: { username?: string; password?: string; serverUrl?: string } | null;
  portMappings?: string[];
}

export interface WorkloadRequest {
  /** The runner pod asking (the token is checked against it). */
  pod: string;
  /** The runner's own pod fits the job's images and needs no registry credentials (the hook checked). */
  imagesMatch: boolean;
  container?: WorkloadContainerArgs;
  services: WorkloadContainerArgs[];
  /** What the runner tells its hook processes about the job (GITHUB_RUN_ID, GITHUB_RUN_ATTEMPT, GITHUB_JOB). */
  hints: { runId?: number; runAttempt?: number; jobKey?: string; repository?: string };
}

/** One step-running container of W and its agent's port. */
export interface WorkloadAgent {
  container: string;
  image: string;
  port: number;
}

export interface WorkloadAnswer {
  /** `own`: the runner's pod is the job's shape, use it. `workload`: use W. */
  mode: 'own' | 'workload';
  /** The job the runner took (GitHub job id). */
  job: string;
  /** W's name (mode workload). */
  pod?: string;
  /** W runs and has an IP: its agents can be asked (they may still be starting). */
  ready?: boolean;
  /** W's phase and why it is not ready yet (image pull, scheduling…). */
  phase?: string;
  message?: string;
  ip?: string;
  /** The bearer token of W's agents (mode workload, when ready). */
  token?: string;
  agents?: WorkloadAgent[];
  /** Service containers of W, in the order of the request's services (their `services:` names). */
  services?: { container: string; name: string }[];
}
