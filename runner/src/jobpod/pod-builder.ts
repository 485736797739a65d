/**
 * Builds the ONE pod a job runs in: the job container (idle until steps are exec'd into it), the `services:`
 * containers, an optional kaniko slot, and emptyDir volumes for the workspace. Every image is known up front, so the
 * pod is never updated (virtual nodes refuse in-place updates).
 *
 * Env compaction: variables shared by all steps live in one pod annotation, exposed to the job container as a
 * downward-API file that each step sources. The pod spec therefore does not grow with the number of variables or
 * steps (a seed deployment hit HTTP 414 with ~100 variables × 10 steps in the spec). Secrets never go in
 * annotations: they are a Secret mounted as a file only into the job container.
 */
import type { V1Container, V1Pod, V1Volume } from '@kubernetes/client-node';
import { InvalidInput } from '../errors.js';
import { renderEnv } from './shell-env.js';
import { spoolAgentCommand } from './spool/spool-agent.js';

/** The kaniko image has no /bin (every build empties it); its shell is busybox's, kept by --ignore-path. */
export const KANIKO_SHELL = '/busybox/sh';

export const JOB_CONTAINER = 'job';
export interface KanikoSlot {
  image: string;
  registrySecret?: string;
}
export const KANIKO_CONTAINER = 'kaniko';
export const ENV_ANNOTATION = 'eci-virtual.dev/env';
export const LABEL = {
  managedBy: 'app.kubernetes.io/managed-by',
  component: 'eci-virtual.dev/component',
  runId: 'eci-virtual.dev/run-id',
  jobId: 'eci-virtual.dev/job-id',
  repo: 'eci-virtual.dev/repo',
} as const;
export const ANNOTATION = {
  repo: 'eci-virtual.dev/repository',
  workflow: 'eci-virtual.dev/workflow',
  job: 'eci-virtual.dev/job',
} as const;

/** Paths inside the job container. */
export const PATHS = {
  workspace: '/__w',
  temp: '/__w/_temp',
  steps: '/__w/_temp/_eci/steps',
  /** Requests to helper containers, one directory per container (spool/spool-agent.ts). */
  spool: '/__w/_temp/_eci/spool',
  /** Facts about the job pod (placement, start latency) written by the engine for steps to report. */
  podFacts: '/__w/_temp/_eci/pod.json',
  github: '/github',
  envDir: '/__eci/env',
  envFile: '/__eci/env/env',
  secretsDir: '/__eci/secrets',
  secretsFile: '/__eci/secrets/env',
} as const;

export interface ServiceSpec {
  /** The `services:` key; becomes the container name `svc-<name>` and a host alias for 127.0.0.1. */
  name: string;
  image: string;
  env?: Record<string, string>;
  entrypoint?: string[];
  args?: string[];
}

export interface JobPodInput {
  name: string;
  namespace: string;
  repository?: string;
  workflow?: string;
  jobName?: string;
  runId: string;
  jobId: string;
  jobImage: string;
  services?: ServiceSpec[];
  /** Env shared by every step: workflow/job/container env, github context variables. */
  sharedEnv: [string, string][];
  /** Secret holding `env` (shell source of secret variables), mounted only into the job container. */
  secretName?: string;
  resources?: { cpu?: string; memory?: string };
  placement: 'virtual' | 'any';
  /** Pin the pod to one node (by hostname label). */
  nodeName?: string;
  /** Containers for `uses: docker://image` steps: idle like the job container, sharing the workspace. */
  stepContainers?: { name: string; image: string }[];
  /**
   * Add the kaniko container (image builds): it runs the spool agent, so steps in the job container hand builds to
   * it over the workspace (spool/spool-agent.ts). `registrySecret` (a Secret with a `config.json` key in Docker's
   * format) is mounted only into this container, at /kaniko/.docker.
   */
  kaniko?: KanikoSlot;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  activeDeadlineSeconds?: number;
  /** Extra pod annotations (placement: ECI spec, image cache). */
  annotations?: Record<string, string>;
}

/** A command that keeps a container alive until SIGTERM, needing only /bin/sh. */
export const IDLE_COMMAND = ['/bin/sh', '-c', 'trap "exit 0" TERM INT; while :; do sleep 3600 & wait $!; done'];

const labelValue = (v: string) =>
  v
    .replace(/[^A-Za-z0-9_.-]/g, '_')
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '')
    .slice(0, 63);

function resources(r: JobPodInput['resources']): V1Container['resources'] {
  if (!r?.cpu && !r?.memory) return undefined;
  const values = { ...(r.cpu ? { cpu: r.cpu } : {}), ...(r.memory ? { memory: r.memory } : {}) };
  return { requests: values, limits: values };
}

export function buildJobPod(input: JobPodInput): V1Pod {
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(input.name))
    throw new InvalidInput(`pod name "${input.name}" is not a valid DNS label`);
  const services = input.services ?? [];
  const seen = new Set<string>();
  for (const s of services) {
    if (!/^[a-z0-9]([-a-z0-9]{0,50}[a-z0-9])?$/.test(s.name))
      throw new InvalidInput(`service name "${s.name}" must be a lowercase DNS label`);
    if (seen.has(s.name)) throw new InvalidInput(`service "${s.name}" is defined twice`);
    seen.add(s.name);
  }
  const pullPolicy = input.imagePullPolicy ?? 'IfNotPresent';
  const workMounts = [
    { name: 'work', mountPath: PATHS.workspace },
    { name: 'github', mountPath: PATHS.github },
  ];
  const job: V1Container = {
    name: JOB_CONTAINER,
    image: input.jobImage,
    imagePullPolicy: pullPolicy,
    command: IDLE_COMMAND,
    workingDir: PATHS.workspace,
    volumeMounts: [
      ...workMounts,
      { name: 'eci-env', mountPath: PATHS.envDir, readOnly: true },
      ...(input.secretName ? [{ name: 'eci-secrets', mountPath: PATHS.secretsDir, readOnly: true }] : []),
    ],
    ...(resources(input.resources) ? { resources: resources(input.resources) } : {}),
  };
  const serviceContainers: V1Container[] = services.map((s) => ({
    name: `svc-${s.name}`,
    image: s.image,
    imagePullPolicy: pullPolicy,
    ...(s.entrypoint?.length ? { command: s.entrypoint } : {}),
    ...(s.args?.length ? { args: s.args } : {}),
    env: Object.entries(s.env ?? {}).map(([name, value]) => ({ name, value })),
  }));
  const kaniko: V1Container[] = input.kaniko
    ? [
        {
          name: KANIKO_CONTAINER,
          image: input.kaniko.image,
          imagePullPolicy: pullPolicy,
          command: spoolAgentCommand(KANIKO_SHELL, `${PATHS.spool}/${KANIKO_CONTAINER}`),
          // A mount survives the executor's --cleanup (which empties everything else but /kaniko and /busybox), so
          // builds keep a working directory that exists.
          workingDir: PATHS.workspace,
          volumeMounts: [
            ...workMounts,
            ...(input.kaniko.registrySecret
              ? [{ name: 'kaniko-registry', mountPath: '/kaniko/.docker', readOnly: true }]
              : []),
          ],
        },
      ]
    : [];
  const stepContainers: V1Container[] = (input.stepContainers ?? []).map((c) => ({
    name: c.name,
    image: c.image,
    imagePullPolicy: pullPolicy,
    command: IDLE_COMMAND,
    workingDir: PATHS.workspace,
    volumeMounts: job.volumeMounts,
  }));
  const volumes: V1Volume[] = [
    { name: 'work', emptyDir: {} },
    { name: 'github', emptyDir: {} },
    {
      name: 'eci-env',
      downwardAPI: { items: [{ path: 'env', fieldRef: { fieldPath: `metadata.annotations['${ENV_ANNOTATION}']` } }] },
    },
    ...(input.secretName
      ? [{ name: 'eci-secrets', secret: { secretName: input.secretName, defaultMode: 0o400 } }]
      : []),
    ...(input.kaniko?.registrySecret
      ? [
          {
            name: 'kaniko-registry',
            secret: {
              secretName: input.kaniko.registrySecret,
              items: [{ key: 'config.json', path: 'config.json' }],
              defaultMode: 0o400,
            },
          },
        ]
      : []),
  ];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: input.name,
      namespace: input.namespace,
      labels: {
        [LABEL.managedBy]: 'eci-virtual',
        [LABEL.component]: 'job',
        [LABEL.runId]: labelValue(input.runId),
        [LABEL.jobId]: labelValue(input.jobId),
        ...(input.repository ? { [LABEL.repo]: labelValue(input.repository) } : {}),
      },
      annotations: {
        [ENV_ANNOTATION]: renderEnv(input.sharedEnv),
        ...(input.repository ? { [ANNOTATION.repo]: input.repository } : {}),
        ...(input.workflow ? { [ANNOTATION.workflow]: input.workflow } : {}),
        ...(input.jobName ? { [ANNOTATION.job]: input.jobName } : {}),
        ...input.annotations,
      },
    },
    spec: {
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 5,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      ...(input.activeDeadlineSeconds ? { activeDeadlineSeconds: input.activeDeadlineSeconds } : {}),
      // Service containers share the pod's localhost; their names resolve to it as on GitHub's service network.
      ...(services.length ? { hostAliases: [{ ip: '127.0.0.1', hostnames: services.map((s) => s.name) }] } : {}),
      ...(input.placement === 'virtual'
        ? {
            nodeSelector: {
              type: 'virtual-kubelet',
              ...(input.nodeName ? { 'kubernetes.io/hostname': input.nodeName } : {}),
            },
          }
        : {}),
      ...(input.placement === 'any' && input.nodeName
        ? { nodeSelector: { 'kubernetes.io/hostname': input.nodeName } }
        : {}),
      tolerations: [{ key: 'virtual-kubelet.io/provider', operator: 'Exists', effect: 'NoSchedule' }],
      containers: [job, ...serviceContainers, ...stepContainers, ...kaniko],
      volumes,
    },
  };
}
