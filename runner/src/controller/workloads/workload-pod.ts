/**
 * The workload pod W of a job whose runner lives in another job's pod (contract workload.ts): the job's own
 * containers — the job container with the image the runner evaluated, `services:`, `docker://` step containers,
 * kaniko — sized and placed for THAT job, sharing one emptyDir workspace like a runner pod, but without a runner:
 * the runner pod's hooks drive W's step agents over the pod network (`eci-agent serve --listen`) and copy the work
 * folder to and from it.
 *
 * Nothing the runner evaluated appears in the pod spec: the agents' token and every env value (secrets included)
 * live in W's Secret and reach the containers by `secretKeyRef`; registry credentials go into a separate
 * `kubernetes.io/dockerconfigjson` Secret named in `imagePullSecrets`. W and its Secrets are owned by the runner
 * pod, so Kubernetes' garbage collector removes them with it even if nobody else does.
 */
import type { V1Container, V1EnvVar, V1OwnerReference, V1Pod, V1Secret } from '@kubernetes/client-node';
import {
  CONTAINER,
  COMPONENT,
  LABEL,
  MANAGED_BY,
  PATHS,
  repositoryLabel,
  serviceContainerName,
  stepContainerName,
  WORKLOAD_AGENT,
  workloadServeCommand,
  type WorkloadAgent,
  type WorkloadContainerArgs,
} from '@eci-virtual/contract';
import {
  agentInstallContainer,
  agentVolume,
  JOB_POD_SPEC_BASE,
  jobContainer,
  jobPodMetadata,
  kanikoPart,
  scheduling,
  serviceHostAliases,
  stepContainers,
  workspaceVolumes,
  type KanikoSlot,
  type PullPolicy,
} from '../../pod-assembly/pod-parts.js';
import type { ControllerConfig } from '../config.js';
import type { WorkflowJob } from '../github/workflow-job.js';
import type { JobPlan } from '../jobs/job-plan.js';
import type { JobPlacement } from '../settings/repo-settings.js';

/** Where the runner image keeps its externals (node for JavaScript actions), copied to /__e as in a runner pod. */
const RUNNER_EXTERNALS = '/home/runner/externals';

/** W's name: one per job (a job is run by exactly one runner). */
export const workloadPodName = (jobId: number | string): string => `eci-job-${jobId}-w`;
export const workloadSecretName = (jobId: number | string): string => `eci-job-${jobId}-w`;
export const workloadPullSecretName = (jobId: number | string): string => `eci-job-${jobId}-w-pull`;

/** Secret keys: `token`, and `<container>.<ENV NAME>` for each env value (container names hold no dot). */
export const TOKEN_KEY = 'token';
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;

export interface WorkloadPodInput {
  job: WorkflowJob;
  plan: JobPlan;
  config: ControllerConfig;
  placement: JobPlacement & { annotations: Record<string, string> };
  pullPolicy: PullPolicy;
  runnerPod: { name: string; uid: string };
  /** The runner's evaluated args (prepare_job). */
  container?: WorkloadContainerArgs;
  services: readonly WorkloadContainerArgs[];
  /** The agents' bearer token (random per workload). */
  agentToken: string;
  /** Name of the dockerconfigjson Secret, when the runner handed credentials. */
  pullSecret?: string;
  kaniko?: KanikoSlot;
}

export interface WorkloadParts {
  pod: V1Pod;
  /** Token and env values; create before the pod. */
  secret: V1Secret;
  agents: WorkloadAgent[];
  services: { container: string; name: string }[];
}

export function ownerRef(pod: { name: string; uid: string }): V1OwnerReference {
  return { apiVersion: 'v1', kind: 'Pod', name: pod.name, uid: pod.uid, blockOwnerDeletion: false, controller: false };
}

export function workloadMetadata(input: Pick<WorkloadPodInput, 'job' | 'config' | 'runnerPod'>, name: string) {
  return {
    name,
    namespace: input.config.namespace,
    labels: {
      [LABEL.managedBy]: MANAGED_BY,
      [LABEL.component]: COMPONENT.workload,
      [LABEL.jobId]: String(input.job.id),
      [LABEL.runId]: String(input.job.runId),
      [LABEL.repo]: repositoryLabel(input.job.repo),
      [LABEL.runnerPod]: input.runnerPod.name,
    },
    ownerReferences: [ownerRef(input.runnerPod)],
  };
}

/** A service's name: the plan's (`services.<name>`, same order as the runner sends them), else its position. */
function serviceNames(plan: JobPlan, services: readonly WorkloadContainerArgs[]): string[] {
  const fromPlan = plan.services.length === services.length ? plan.services.map((s) => s.name) : [];
  return services.map((_, i) => fromPlan[i] ?? `service-${i + 1}`);
}

export function buildWorkloadPod(input: WorkloadPodInput): WorkloadParts {
  const { job, plan, config, placement, pullPolicy } = input;
  const name = workloadPodName(job.id);
  const secretName = workloadSecretName(job.id);
  const data: Record<string, string> = { [TOKEN_KEY]: input.agentToken };
  /** Env values by reference into W's Secret: names in the spec, values only in the Secret. */
  const envFrom = (container: string, env: Record<string, string> | undefined): V1EnvVar[] =>
    Object.entries(env ?? {})
      .filter(([k]) => SECRET_KEY.test(`${container}.${k}`))
      .map(([k, v]) => {
        data[`${container}.${k}`] = v;
        return { name: k, valueFrom: { secretKeyRef: { name: secretName, key: `${container}.${k}` } } };
      });
  const tokenMount = { name: WORKLOAD_AGENT.volume, mountPath: WORKLOAD_AGENT.dir, readOnly: true };
  const agents: WorkloadAgent[] = [];
  const containers: V1Container[] = [];
  const externals = config.runner.copyExternals && input.container !== undefined;
  if (input.container) {
    const port = WORKLOAD_AGENT.firstPort;
    const c = jobContainer({
      image: input.container.image,
      pullPolicy,
      resources: { cpu: placement.cpu, memory: placement.memory },
      mounts: [tokenMount, ...(externals ? [{ name: 'externals', mountPath: PATHS.externals, readOnly: true }] : [])],
      agent: true,
    });
    const env = envFrom(CONTAINER.job, input.container.environmentVariables);
    containers.push({ ...c, command: workloadServeCommand(CONTAINER.job, port), ...(env.length ? { env } : {}) });
    agents.push({ container: CONTAINER.job, image: input.container.image, port });
  }
  const names = serviceNames(plan, input.services);
  const services = input.services.map((s, i) => ({ container: serviceContainerName(names[i]!), name: names[i]! }));
  input.services.forEach((s, i) => {
    const container = services[i]!.container;
    const env = envFrom(container, s.environmentVariables);
    containers.push({
      name: container,
      image: s.image,
      imagePullPolicy: pullPolicy,
      ...(s.entryPoint ? { command: [s.entryPoint] } : {}),
      ...(s.entryPointArgs?.length ? { args: s.entryPointArgs } : {}),
      ...(env.length ? { env } : {}),
    });
  });
  plan.stepImages.forEach((image, i) => {
    const container = stepContainerName(i);
    const port = WORKLOAD_AGENT.firstPort + 1 + i;
    const [c] = stepContainers([{ name: container, image }], pullPolicy, [tokenMount], { agent: true });
    containers.push({ ...c!, command: workloadServeCommand(container, port) });
    agents.push({ container, image, port });
  });
  const kaniko = input.kaniko ? kanikoPart(input.kaniko, pullPolicy) : undefined;
  if (kaniko) containers.push(kaniko.container);
  const meta = workloadMetadata(input, name);
  const base = jobPodMetadata({
    name,
    namespace: config.namespace,
    component: COMPONENT.workload,
    repository: job.repo,
    workflow: job.workflowName,
    jobName: job.name,
    runId: String(job.runId),
    jobId: String(job.id),
    labels: { [LABEL.runnerPod]: input.runnerPod.name },
    annotations: placement.annotations,
  });
  const pod: V1Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { ...base, ownerReferences: meta.ownerReferences },
    spec: {
      ...JOB_POD_SPEC_BASE,
      ...serviceHostAliases(services.map((s) => ({ name: s.name, image: '' }))),
      ...scheduling({
        placement: placement.nodeType,
        nodeSelector: { ...config.placement.nodeSelector, ...placement.nodeSelector },
      }),
      ...(input.pullSecret ? { imagePullSecrets: [{ name: input.pullSecret }] } : {}),
      initContainers: [
        ...(agents.length ? [agentInstallContainer(config.runner.hooksImage, config.runner.imagePullPolicy)] : []),
        ...(externals
          ? [
              {
                name: CONTAINER.externalsInit,
                image: config.runner.image,
                imagePullPolicy: config.runner.imagePullPolicy,
                command: ['/bin/sh', '-c', `cp -R ${RUNNER_EXTERNALS}/. /target/`],
                volumeMounts: [{ name: 'externals', mountPath: '/target' }],
              },
            ]
          : []),
      ],
      containers,
      volumes: [
        ...workspaceVolumes(),
        ...(kaniko?.volumes ?? []),
        ...(agents.length ? [agentVolume()] : []),
        {
          name: WORKLOAD_AGENT.volume,
          secret: { secretName, items: [{ key: TOKEN_KEY, path: 'token' }], defaultMode: 0o444 },
        },
        ...(externals ? [{ name: 'externals', emptyDir: {} }] : []),
      ],
    },
  };
  const secret: V1Secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: workloadMetadata(input, secretName),
    type: 'Opaque',
    stringData: data,
  };
  return { pod, secret, agents, services };
}

export function pullSecret(
  input: Pick<WorkloadPodInput, 'job' | 'config' | 'runnerPod'>,
  dockerConfigJson: string,
): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: workloadMetadata(input, workloadPullSecretName(input.job.id)),
    type: 'kubernetes.io/dockerconfigjson',
    stringData: { '.dockerconfigjson': dockerConfigJson },
  };
}
