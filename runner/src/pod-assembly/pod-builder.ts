/**
 * Builds the ONE pod an `eci-virtual run` job runs in, from the parts in pod-parts.ts: the job container (idle until
 * steps run in it: served by the step agent when an agent image is given, else a shell loop), the `services:`
 * containers, `docker://` step containers, an optional kaniko container, and emptyDir volumes for the workspace. Every image is known up front, so the pod is never updated (virtual nodes
 * refuse in-place updates).
 *
 * Env compaction: variables shared by all steps live in one pod annotation, exposed to the job container as a
 * downward-API file that each step sources. The pod spec therefore does not grow with the number of variables or
 * steps (a seed deployment hit HTTP 414 with ~100 variables × 10 steps in the spec). Secrets never go in
 * annotations: they are a Secret mounted as a file only into the job container. A service's env value that carries a
 * secret is a key of that same Secret, referenced by `secretKeyRef` (serviceSecretEnv), so `kubectl get pod -o yaml`
 * never shows it.
 */
import type { V1Pod, V1Volume } from '@kubernetes/client-node';
import { ANNOTATION, COMPONENT, CONTAINER, PATHS } from '@eci-virtual/contract';
import {
  agentInstallContainer,
  agentVolume,
  checkPodName,
  checkServiceNames,
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
  type PullPolicy,
  type Resources,
  type ServiceSpec,
} from './pod-parts.js';
import { renderEnv } from './shell-env.js';

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
  resources?: Resources;
  placement: 'virtual' | 'any';
  /** Pin the pod to one node (by hostname label). */
  nodeName?: string;
  /** Containers for `uses: docker://image` steps. */
  stepContainers?: { name: string; image: string }[];
  /** Add the kaniko container (image builds). */
  kaniko?: KanikoSlot;
  imagePullPolicy?: PullPolicy;
  activeDeadlineSeconds?: number;
  /** Extra pod annotations (placement: ECI spec, image cache). */
  annotations?: Record<string, string>;
  /**
   * An image holding the step agent at AGENT.imageBinary: an init container installs it, and the job and `docker://`
   * step containers serve it, so steps go through one `eci-agent dial` exec per container. Without it those
   * containers idle in a shell loop and every step is its own exec.
   */
  agentImage?: string;
  /**
   * An image holding a Node.js runtime at NODE_RUNTIME_SOURCE (scripts/images/node-runtime.ts): an init container
   * copies it onto an emptyDir mounted read-only at PATHS.externals (/__e) in the job container, where the runner
   * mounts its externals, so JavaScript actions run in job images without node.
   */
  nodeRuntimeImage?: string;
}

/** Where a node runtime image keeps what goes to PATHS.externals (`node/bin/node` and its libraries). */
export const NODE_RUNTIME_SOURCE = '/eci-node';

/** The Secret key of a service's secret-bearing env var (keys allow only `[-._a-zA-Z0-9]`, env names more). */
export const serviceSecretKey = (service: string, index: number): string => `service.${service}.${index}`;

/**
 * Moves every service env value that contains one of `secrets` (evaluated, so a secret may be part of a value) out
 * of `env` into `secretEnv`, a reference to a key of the job's Secret `secretName`; `data` is what that Secret must
 * hold for them. Services without such values are returned unchanged.
 */
export function serviceSecretEnv(
  services: readonly ServiceSpec[],
  secrets: Record<string, string> | undefined,
  secretName: string,
): { services: ServiceSpec[]; data: Record<string, string> } {
  const values = Object.values(secrets ?? {}).filter(Boolean);
  const data: Record<string, string> = {};
  const out = services.map((s) => {
    const plain: Record<string, string> = {};
    const secretEnv: NonNullable<ServiceSpec['secretEnv']> = [];
    Object.entries(s.env ?? {}).forEach(([name, value], i) => {
      if (!values.some((v) => value.includes(v))) return void (plain[name] = value);
      const key = serviceSecretKey(s.name, i);
      data[key] = value;
      secretEnv.push({ name, secret: secretName, key });
    });
    return secretEnv.length ? { ...s, env: plain, secretEnv: [...(s.secretEnv ?? []), ...secretEnv] } : s;
  });
  return { services: out, data };
}

export function buildJobPod(input: JobPodInput): V1Pod {
  checkPodName(input.name);
  const services = input.services ?? [];
  checkServiceNames(services);
  const pullPolicy = input.imagePullPolicy ?? 'IfNotPresent';
  const envMounts = [
    { name: 'eci-env', mountPath: PATHS.envDir, readOnly: true },
    ...(input.secretName ? [{ name: 'eci-secrets', mountPath: PATHS.secretsDir, readOnly: true }] : []),
  ];
  const node = input.nodeRuntimeImage;
  const externalsMounts = node ? [{ name: 'externals', mountPath: PATHS.externals, readOnly: true }] : [];
  const kaniko = input.kaniko ? kanikoPart(input.kaniko, pullPolicy) : undefined;
  const agent = input.agentImage !== undefined;
  const volumes: V1Volume[] = [
    ...workspaceVolumes(),
    ...(agent ? [agentVolume()] : []),
    ...(node ? [{ name: 'externals', emptyDir: {} }] : []),
    {
      name: 'eci-env',
      downwardAPI: { items: [{ path: 'env', fieldRef: { fieldPath: `metadata.annotations['${ANNOTATION.env}']` } }] },
    },
    ...(input.secretName
      ? [
          {
            name: 'eci-secrets',
            // Only the job's env file: the services' keys (serviceSecretEnv) reach their own containers alone.
            secret: { secretName: input.secretName, defaultMode: 0o400, items: [{ key: 'env', path: 'env' }] },
          },
        ]
      : []),
    ...(kaniko?.volumes ?? []),
  ];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: jobPodMetadata({
      ...input,
      component: COMPONENT.job,
      annotations: { [ANNOTATION.env]: renderEnv(input.sharedEnv), ...input.annotations },
    }),
    spec: {
      ...JOB_POD_SPEC_BASE,
      ...(input.activeDeadlineSeconds ? { activeDeadlineSeconds: input.activeDeadlineSeconds } : {}),
      ...serviceHostAliases(services),
      ...scheduling({ placement: input.placement, ...(input.nodeName ? { nodeName: input.nodeName } : {}) }),
      ...(agent || node
        ? {
            initContainers: [
              ...(agent ? [agentInstallContainer(input.agentImage!, pullPolicy)] : []),
              ...(node
                ? [
                    {
                      name: CONTAINER.externalsInit,
                      image: node,
                      imagePullPolicy: pullPolicy,
                      command: ['/bin/sh', '-c', `cp -R ${NODE_RUNTIME_SOURCE}/. "$1"/`, 'copy-node', PATHS.externals],
                      volumeMounts: [{ name: 'externals', mountPath: PATHS.externals }],
                    },
                  ]
                : []),
            ],
          }
        : {}),
      containers: [
        jobContainer({
          image: input.jobImage,
          pullPolicy,
          mounts: [...envMounts, ...externalsMounts],
          agent,
          ...(input.resources ? { resources: input.resources } : {}),
        }),
        ...serviceContainers(services, pullPolicy),
        ...stepContainers(input.stepContainers ?? [], pullPolicy, envMounts, { agent }),
        ...(kaniko ? [kaniko.container] : []),
      ],
      volumes,
    },
  };
}
