/**
 * The ONE pod of a GitHub job: the official runner (JIT config from a Secret, our hooks copied in by an init
 * container), the workflow's job container, services and `docker://` step containers, all idle until the runner's
 * hooks exec steps into them, sharing one emptyDir workspace (runner `_work` = `/__w` in the job containers).
 */
import type { V1Container, V1Pod, V1Volume } from '@kubernetes/client-node';
import { buildJobPod, IDLE_COMMAND, JOB_CONTAINER, type KanikoSlot } from '../../jobpod/pod-builder.js';
import type { ControllerConfig } from '../config.js';
import type { WorkflowJob } from '../github/workflow-job.js';
import type { JobPlan } from './job-plan.js';
import {
  ANNOTATIONS,
  HOOKS_INIT_CONTAINER,
  JIT_SECRET_KEY,
  jitSecretName,
  jobResourceName,
  LABELS,
  labelValue,
  RUNNER_COMPONENT,
  RUNNER_CONTAINER,
  runnerName,
} from './naming.js';

export const HOOKS_DIR = '/home/runner/eci-hooks';
export const SA_TOKEN_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
export const stepContainerName = (i: number): string => `step-${i}`;

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
  /** Add the kaniko container (image builds). */
  kaniko?: KanikoSlot;
}

export function buildRunnerPod(input: RunnerPodInput): V1Pod {
  const { job, plan, config, placement } = input;
  const name = jobResourceName(job.id);
  const base = buildJobPod({
    name,
    namespace: config.namespace,
    repository: job.repo,
    workflow: job.workflowName,
    jobName: job.name,
    runId: String(job.runId),
    jobId: String(job.id),
    jobImage: plan.container?.image ?? 'unused',
    services: plan.services.map((s) => ({ name: s.name, image: s.image, env: s.env })),
    stepContainers: plan.stepImages.map((image, i) => ({ name: stepContainerName(i), image })),
    sharedEnv: [],
    placement: placement.nodeType === 'virtual' ? 'virtual' : 'any',
    imagePullPolicy: config.runner.imagePullPolicy,
    ...(input.kaniko ? { kaniko: input.kaniko } : {}),
  });
  const spec = base.spec!;
  // Jobs without `container:` run their steps in the runner container itself.
  if (!plan.container) spec.containers = spec.containers.filter((c) => c.name !== JOB_CONTAINER);
  for (const c of spec.containers)
    c.env = [...(c.env ?? []), ...(c.name === JOB_CONTAINER ? envList(plan.container?.env) : [])];

  const runner: V1Container = {
    name: RUNNER_CONTAINER,
    image: config.runner.image,
    imagePullPolicy: config.runner.imagePullPolicy,
    command: config.runner.command,
    env: [
      {
        name: 'ACTIONS_RUNNER_INPUT_JITCONFIG',
        valueFrom: { secretKeyRef: { name: jitSecretName(job.id), key: JIT_SECRET_KEY } },
      },
      { name: 'ACTIONS_RUNNER_CONTAINER_HOOKS', value: `${HOOKS_DIR}/index.js` },
      { name: 'ACTIONS_RUNNER_REQUIRE_JOB_CONTAINER', value: 'false' },
      { name: 'ECI_VIRTUAL_POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'ECI_VIRTUAL_POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      { name: 'ECI_VIRTUAL_NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
      { name: 'ECI_VIRTUAL_JOB_ID', value: String(job.id) },
      { name: 'ECI_VIRTUAL_RUNNER_WORKDIR', value: config.runner.workDir },
      ...envList(config.runner.env),
    ],
    resources: {
      requests: { cpu: placement.cpu, memory: placement.memory },
      limits: { cpu: placement.cpu, memory: placement.memory },
    },
    volumeMounts: [
      { name: 'work', mountPath: config.runner.workDir },
      { name: 'eci-hooks', mountPath: HOOKS_DIR, readOnly: true },
      { name: 'runner-token', mountPath: SA_TOKEN_DIR, readOnly: true },
    ],
    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
  };
  const init: V1Container = {
    name: HOOKS_INIT_CONTAINER,
    image: config.runner.hooksImage,
    imagePullPolicy: config.runner.imagePullPolicy,
    command: ['/bin/sh', '-c', 'cp -R /eci-hooks/. /target/'],
    volumeMounts: [{ name: 'eci-hooks', mountPath: '/target' }],
  };
  const externals: V1Container[] =
    config.runner.copyExternals && plan.container
      ? [
          {
            name: 'runner-externals',
            image: config.runner.image,
            imagePullPolicy: config.runner.imagePullPolicy,
            command: ['/bin/sh', '-c', 'cp -R /home/runner/externals/. /target/'],
            volumeMounts: [{ name: 'externals', mountPath: '/target' }],
          },
        ]
      : [];
  const volumes: V1Volume[] = [
    ...(spec.volumes ?? []),
    { name: 'eci-hooks', emptyDir: {} },
    ...(externals.length ? [{ name: 'externals', emptyDir: {} }] : []),
    {
      name: 'runner-token',
      projected: {
        sources: [
          { serviceAccountToken: { path: 'token', expirationSeconds: 86_400 } },
          { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
          { downwardAPI: { items: [{ path: 'namespace', fieldRef: { fieldPath: 'metadata.namespace' } }] } },
        ],
      },
    },
  ];
  if (externals.length)
    for (const c of spec.containers)
      if (c.name === JOB_CONTAINER)
        c.volumeMounts = [...(c.volumeMounts ?? []), { name: 'externals', mountPath: '/__e', readOnly: true }];
  // Step containers idle like the job container; service containers keep their image's command.
  for (const c of spec.containers) if (c.name.startsWith('step-')) c.command = IDLE_COMMAND;

  const nodeSelector = {
    ...(spec.nodeSelector ?? {}),
    ...config.placement.nodeSelector,
    ...placement.nodeSelector,
  };
  return {
    ...base,
    metadata: {
      ...base.metadata,
      labels: {
        ...base.metadata!.labels,
        [LABELS.component]: RUNNER_COMPONENT,
        [LABELS.runnerId]: String(input.runnerId),
        [LABELS.repo]: labelValue(job.repo.replace('/', '.')),
      },
      annotations: {
        ...base.metadata!.annotations,
        ...placement.annotations,
        [ANNOTATIONS.queuedAt]: job.createdAt,
        [ANNOTATIONS.runnerName]: runnerName(job.id),
        [ANNOTATIONS.htmlUrl]: job.htmlUrl,
        ...(plan.unresolved ? { [ANNOTATIONS.planProblem]: plan.unresolved.slice(0, 1000) } : {}),
      },
    },
    spec: {
      ...spec,
      serviceAccountName: name,
      automountServiceAccountToken: false,
      initContainers: [init, ...externals],
      containers: [runner, ...spec.containers],
      volumes,
      ...(Object.keys(nodeSelector).length ? { nodeSelector } : {}),
      ...(placement.nodeType === 'regular' ? { tolerations: [] } : {}),
    },
  };
}

const envList = (env: Record<string, string> | undefined) =>
  Object.entries(env ?? {}).map(([name, value]) => ({ name, value }));
