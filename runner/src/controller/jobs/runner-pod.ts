/**
 * The ONE pod of a GitHub job, composed from the job-pod parts (pod-assembly/pod-parts.ts): the official runner (JIT
 * config from a Secret, our hooks copied in by an init container), the workflow's job container, services and
 * `docker://` step containers, sharing one emptyDir workspace (runner `_work` = `/__w` in the job containers). The job
 * and step containers run the step agent (installed by another init container from the hooks image), idle until the
 * runner's hooks hand them steps over its socket on the workspace — no Kubernetes exec per step. Services are held
 * by their agent until prepare_job starts their image's ENTRYPOINT+CMD (read from the registry, service-commands.ts)
 * with the runner's evaluated env; neither they nor the job container carry workflow env in the spec, so no secret
 * or evaluated value is ever in it. Jobs without `container:` run their steps in the runner container.
 */
import type { V1Container, V1Pod, V1Volume } from '@kubernetes/client-node';
import {
  ANNOTATION,
  COMPONENT,
  CONTAINER,
  LABEL,
  PATHS,
  stepContainerName,
  WORKLOAD_ENV,
  WORKLOAD_TOKEN_SECRET_KEY,
} from '@eci-virtual/contract';
import {
  AGENT_MOUNT,
  agentInstallContainer,
  agentVolume,
  envList,
  JOB_POD_SPEC_BASE,
  jobContainer,
  jobPodMetadata,
  kanikoPart,
  scheduling,
  serviceContainers,
  serviceHostAliases,
  stepContainers,
  workspaceVolumes,
  type KanikoSlot,
  type ServiceSpec,
} from '../../pod-assembly/pod-parts.js';
import type { ControllerConfig } from '../config.js';
import type { WorkflowJob } from '../github/workflow-job.js';
import type { JobPlan } from './job-plan.js';
import { literalEnv, type ServiceCommands } from './service-commands.js';
import { JIT_SECRET_KEY, jitSecretName, jobResourceName, runnerName } from './naming.js';

const HOOKS_DIR = '/home/runner/eci-hooks';
const SA_TOKEN_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
/** Where the runner image keeps its externals (node for JavaScript actions). */
const RUNNER_EXTERNALS = '/home/runner/externals';

export interface RunnerPodInput {
  job: WorkflowJob;
  plan: JobPlan;
  config: ControllerConfig;
  /** Per-job placement after repository settings are applied. */
  placement: {
    nodeType: 'virtual' | 'regular';
    cpu: string;
    memory: string;
    nodeSelector: Record<string, string>;
    annotations: Record<string, string>;
  };
  runnerId: number;
  /** The job's runner slot (naming.ts) this pod serves; default the job's first. */
  slot?: string;
  /** Add the kaniko container (image builds). */
  kaniko?: KanikoSlot;
  /** The services' image commands; a service without one is not held (service-commands.ts). */
  serviceCommands?: ServiceCommands['held'];
}

function runnerContainer(input: RunnerPodInput, agents: boolean): V1Container {
  const { job, config, placement } = input;
  const slot = input.slot ?? String(job.id);
  return {
    name: CONTAINER.runner,
    image: config.runner.image,
    imagePullPolicy: config.runner.imagePullPolicy,
    command: config.runner.command,
    env: [
      {
        name: 'ACTIONS_RUNNER_INPUT_JITCONFIG',
        valueFrom: { secretKeyRef: { name: jitSecretName(slot), key: JIT_SECRET_KEY } },
      },
      { name: 'ACTIONS_RUNNER_CONTAINER_HOOKS', value: `${HOOKS_DIR}/index.js` },
      { name: 'ACTIONS_RUNNER_REQUIRE_JOB_CONTAINER', value: 'false' },
      { name: 'ECI_VIRTUAL_POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'ECI_VIRTUAL_POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      { name: 'ECI_VIRTUAL_NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
      { name: 'ECI_VIRTUAL_JOB_ID', value: String(job.id) },
      { name: 'ECI_VIRTUAL_RUNNER_WORKDIR', value: config.runner.workDir },
      ...(config.workloads.controllerUrl
        ? [
            { name: WORKLOAD_ENV.controllerUrl, value: config.workloads.controllerUrl },
            {
              name: WORKLOAD_ENV.token,
              valueFrom: {
                secretKeyRef: { name: jitSecretName(slot), key: WORKLOAD_TOKEN_SECRET_KEY, optional: true },
              },
            },
          ]
        : []),
      ...envList(config.runner.env),
    ],
    resources: {
      requests: { cpu: placement.cpu, memory: placement.memory },
      limits: { cpu: placement.cpu, memory: placement.memory },
    },
    volumeMounts: [
      { name: 'work', mountPath: config.runner.workDir },
      { name: 'eci-hooks', mountPath: HOOKS_DIR, readOnly: true },
      ...(agents ? [AGENT_MOUNT] : []),
      { name: 'runner-token', mountPath: SA_TOKEN_DIR, readOnly: true },
    ],
    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
  };
}

/**
 * Init containers: the step agent onto its volume; our hooks into the runner container; the runner's externals for a
 * job container's JS actions.
 */
function initContainers(config: ControllerConfig, withExternals: boolean, agents: boolean): V1Container[] {
  const copy = (name: string, image: string, from: string, volume: string): V1Container => ({
    name,
    image,
    imagePullPolicy: config.runner.imagePullPolicy,
    command: ['/bin/sh', '-c', `cp -R ${from}/. /target/`],
    volumeMounts: [{ name: volume, mountPath: '/target' }],
  });
  return [
    ...(agents ? [agentInstallContainer(config.runner.hooksImage, config.runner.imagePullPolicy)] : []),
    copy(CONTAINER.hooksInit, config.runner.hooksImage, '/eci-hooks', 'eci-hooks'),
    ...(withExternals ? [copy(CONTAINER.externalsInit, config.runner.image, RUNNER_EXTERNALS, 'externals')] : []),
  ];
}

/** The runner's own API identity: a short-lived token of the job's ServiceAccount, only in the runner container. */
const runnerTokenVolume: V1Volume = {
  name: 'runner-token',
  projected: {
    sources: [
      { serviceAccountToken: { path: 'token', expirationSeconds: 86_400 } },
      { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
      { downwardAPI: { items: [{ path: 'namespace', fieldRef: { fieldPath: 'metadata.namespace' } }] } },
    ],
  },
};

export function buildRunnerPod(input: RunnerPodInput): V1Pod {
  const { job, plan, config, placement } = input;
  const slot = input.slot ?? String(job.id);
  const pullPolicy = config.runner.imagePullPolicy;
  const externals = config.runner.copyExternals && plan.container !== undefined;
  const kaniko = input.kaniko ? kanikoPart(input.kaniko, pullPolicy) : undefined;
  const externalsMount = externals ? [{ name: 'externals', mountPath: PATHS.externals, readOnly: true }] : [];
  const services = plan.services.map((svc): ServiceSpec => {
    const held = input.serviceCommands?.[svc.name];
    return held ? { name: svc.name, image: svc.image, held } : { ...svc, env: literalEnv(svc.env) };
  });
  // Only containers that run steps or held services serve an agent: otherwise neither it nor its init container.
  const agents = plan.container !== undefined || plan.stepImages.length > 0 || services.some((svc) => svc.held);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: jobPodMetadata({
      name: jobResourceName(slot),
      namespace: config.namespace,
      component: COMPONENT.runnerJob,
      repository: job.repo,
      workflow: job.workflowName,
      jobName: job.name,
      runId: String(job.runId),
      jobId: String(job.id),
      labels: { [LABEL.runnerId]: String(input.runnerId) },
      annotations: {
        ...placement.annotations,
        [ANNOTATION.queuedAt]: job.createdAt,
        [ANNOTATION.runnerName]: runnerName(slot),
        [ANNOTATION.htmlUrl]: job.htmlUrl,
        ...(plan.unresolved ? { [ANNOTATION.planProblem]: plan.unresolved.slice(0, 1000) } : {}),
      },
    }),
    spec: {
      ...JOB_POD_SPEC_BASE,
      serviceAccountName: jobResourceName(slot),
      ...serviceHostAliases(plan.services),
      ...scheduling({
        placement: placement.nodeType,
        nodeSelector: { ...config.placement.nodeSelector, ...placement.nodeSelector },
      }),
      initContainers: initContainers(config, externals, agents),
      containers: [
        runnerContainer(input, agents),
        ...(plan.container
          ? [
              jobContainer({
                image: plan.container.image,
                pullPolicy,
                // No env here: prepare_job keeps the runner's evaluated `container.env` for the steps.
                mounts: externalsMount,
                agent: true,
              }),
            ]
          : []),
        ...serviceContainers(services, pullPolicy),
        ...stepContainers(
          plan.stepImages.map((image, i) => ({ name: stepContainerName(i), image })),
          pullPolicy,
          [],
          { agent: true },
        ),
        ...(kaniko ? [kaniko.container] : []),
      ],
      volumes: [
        ...workspaceVolumes(),
        ...(kaniko?.volumes ?? []),
        { name: 'eci-hooks', emptyDir: {} },
        ...(agents ? [agentVolume()] : []),
        ...(externals ? [{ name: 'externals', emptyDir: {} }] : []),
        runnerTokenVolume,
      ],
    },
  };
}
