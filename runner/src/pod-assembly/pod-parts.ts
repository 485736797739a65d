/**
 * The parts every job pod is composed of — workspace volumes, the job container, `services:` containers, `docker://`
 * step containers, the kaniko container, metadata and scheduling — as small pure functions. `eci-virtual run`
 * (pod-builder.ts) and the controller (controller/jobs/runner-pod.ts) compose the pod they need from these parts;
 * neither builds a pod and then patches it.
 */
import type { V1Container, V1PodSpec, V1Toleration, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import {
  AGENT,
  agentHoldCommand,
  agentInstallCommand,
  agentServeCommand,
  ANNOTATION,
  CONTAINER,
  HOSTNAME_LABEL,
  InvalidInput,
  KANIKO_SHELL,
  LABEL,
  labelValue,
  MANAGED_BY,
  PATHS,
  repositoryLabel,
  serviceContainerName,
  spoolAgentCommand,
  VIRTUAL_NODE_LABEL,
  virtualNodeToleration,
} from '@eci-virtual/contract';

export type PullPolicy = 'Always' | 'IfNotPresent' | 'Never';

/** A command that keeps a container alive until SIGTERM, needing only /bin/sh. */
export const IDLE_COMMAND = ['/bin/sh', '-c', 'trap "exit 0" TERM INT; while :; do sleep 3600 & wait $!; done'];

export interface ServiceSpec {
  /** The `services:` key; becomes the container name `svc-<name>` and a host alias for 127.0.0.1. */
  name: string;
  image: string;
  env?: Record<string, string>;
  entrypoint?: string[];
  args?: string[];
  /**
   * Env whose values come from keys of a Secret (`secretKeyRef`), so `kubectl get pod -o yaml` never shows them:
   * how `eci-virtual run` passes a service's secret-bearing env without an agent to hand it to.
   */
  secretEnv?: { name: string; secret: string; key: string }[];
  /**
   * Held by the step agent until prepare_job starts it with the runner's evaluated env (agent `POST /v1/main`):
   * the image's own ENTRYPOINT and CMD (read from its config by the controller) are what it runs by default. A held
   * service has no `env`, `entrypoint` or `args` in its spec. The pod then needs agentVolume() and
   * agentInstallContainer().
   */
  held?: { entrypoint: string[]; cmd: string[] };
}

export interface KanikoSlot {
  image: string;
  /** A Secret with a `config.json` key in Docker's format, mounted only into the kaniko container. */
  registrySecret?: string;
}

export interface Resources {
  cpu?: string;
  memory?: string;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** Room for the `svc-` prefix within a container name's 63 characters. */
const SERVICE_NAME = /^[a-z0-9]([-a-z0-9]{0,50}[a-z0-9])?$/;

export function checkPodName(name: string): void {
  if (!DNS_LABEL.test(name)) throw new InvalidInput(`pod name "${name}" is not a valid DNS label`);
}

export function checkServiceNames(services: readonly ServiceSpec[]): void {
  const seen = new Set<string>();
  for (const s of services) {
    if (!SERVICE_NAME.test(s.name)) throw new InvalidInput(`service name "${s.name}" must be a lowercase DNS label`);
    if (seen.has(s.name)) throw new InvalidInput(`service "${s.name}" is defined twice`);
    seen.add(s.name);
  }
}

export const envList = (env: Record<string, string> | undefined) =>
  Object.entries(env ?? {}).map(([name, value]) => ({ name, value }));

/** Requests = limits (a virtual node sizes the container group from them). Undefined when neither is set. */
export function resourceRequirements(r: Resources | undefined): V1Container['resources'] {
  if (!r?.cpu && !r?.memory) return undefined;
  const values = { ...(r.cpu ? { cpu: r.cpu } : {}), ...(r.memory ? { memory: r.memory } : {}) };
  return { requests: values, limits: values };
}

/** The workspace emptyDir and `/github`, as every step-running container mounts them. */
export const WORKSPACE_MOUNTS: V1VolumeMount[] = [
  { name: 'work', mountPath: PATHS.workspace },
  { name: 'github', mountPath: PATHS.github },
];

export const workspaceVolumes = (): V1Volume[] => [
  { name: 'work', emptyDir: {} },
  { name: 'github', emptyDir: {} },
];

/** The step agent's install directory, read-only in every container that serves or drives an agent. */
export const AGENT_MOUNT: V1VolumeMount = { name: AGENT.volume, mountPath: AGENT.dir, readOnly: true };

export const agentVolume = (): V1Volume => ({ name: AGENT.volume, emptyDir: {} });

/**
 * The init container that installs the step agent and the pod's token onto the agent volume, from the hooks image
 * (which carries the binary): `eci-agent install`, no shell needed.
 */
export function agentInstallContainer(image: string, pullPolicy: PullPolicy): V1Container {
  return {
    name: CONTAINER.agentInit,
    image,
    imagePullPolicy: pullPolicy,
    command: agentInstallCommand(),
    volumeMounts: [{ name: AGENT.volume, mountPath: AGENT.dir }],
  };
}

/**
 * How a step-running container idles: served by the step agent (steps arrive on its socket; any image, no shell) or,
 * without one, by a shell loop (steps arrive by Kubernetes exec: `eci-virtual run`).
 */
function idle(name: string, agent: boolean | undefined): Pick<V1Container, 'command'> & { mounts: V1VolumeMount[] } {
  return agent ? { command: agentServeCommand(name), mounts: [AGENT_MOUNT] } : { command: IDLE_COMMAND, mounts: [] };
}

/** The job container: idle until steps run in it, working in the workspace. */
export function jobContainer(o: {
  image: string;
  pullPolicy: PullPolicy;
  env?: Record<string, string>;
  resources?: Resources;
  /** Mounts besides the workspace (env file, secrets, externals). */
  mounts?: V1VolumeMount[];
  /** Serve the step agent (the pod then needs agentVolume() and agentInstallContainer()). */
  agent?: boolean;
}): V1Container {
  const resources = resourceRequirements(o.resources);
  const { command, mounts } = idle(CONTAINER.job, o.agent);
  return {
    name: CONTAINER.job,
    image: o.image,
    imagePullPolicy: o.pullPolicy,
    command,
    workingDir: PATHS.workspace,
    ...(o.env && Object.keys(o.env).length ? { env: envList(o.env) } : {}),
    volumeMounts: [...WORKSPACE_MOUNTS, ...mounts, ...(o.mounts ?? [])],
    ...(resources ? { resources } : {}),
  };
}

/**
 * `services:` containers; they share the pod's localhost. A held service runs its agent (socket and state on the
 * workspace, which it therefore mounts at /__w) and nothing of the workflow's env; any other keeps its image's own
 * command (or `entrypoint`/`args`) with the env it is given.
 */
export function serviceContainers(services: readonly ServiceSpec[], pullPolicy: PullPolicy): V1Container[] {
  return services.map((s): V1Container => {
    const name = serviceContainerName(s.name);
    if (s.held)
      return {
        name,
        image: s.image,
        imagePullPolicy: pullPolicy,
        command: agentHoldCommand(name, s.held.entrypoint),
        ...(s.held.cmd.length ? { args: s.held.cmd } : {}),
        volumeMounts: [{ name: 'work', mountPath: PATHS.workspace }, AGENT_MOUNT],
      };
    const env = [
      ...envList(s.env),
      ...(s.secretEnv ?? []).map((e) => ({
        name: e.name,
        valueFrom: { secretKeyRef: { name: e.secret, key: e.key } },
      })),
    ];
    return {
      name,
      image: s.image,
      imagePullPolicy: pullPolicy,
      ...(s.entrypoint?.length ? { command: s.entrypoint } : {}),
      ...(s.args?.length ? { args: s.args } : {}),
      ...(env.length ? { env } : {}),
    };
  });
}

/** Containers for `uses: docker://image` steps: idle like the job container, sharing the workspace. */
export function stepContainers(
  steps: readonly { name: string; image: string }[],
  pullPolicy: PullPolicy,
  mounts: V1VolumeMount[] = [],
  opts: { agent?: boolean } = {},
): V1Container[] {
  return steps.map((c) => {
    const served = idle(c.name, opts.agent);
    return {
      name: c.name,
      image: c.image,
      imagePullPolicy: pullPolicy,
      command: served.command,
      workingDir: PATHS.workspace,
      volumeMounts: [...WORKSPACE_MOUNTS, ...served.mounts, ...mounts],
    };
  });
}

/**
 * The kaniko container runs the spool agent, so steps in the job container hand builds to it over the workspace
 * (contract spool-agent.ts). Returns the container and the volume its registry credentials need, if any.
 */
export function kanikoPart(slot: KanikoSlot, pullPolicy: PullPolicy): { container: V1Container; volumes: V1Volume[] } {
  const container: V1Container = {
    name: CONTAINER.kaniko,
    image: slot.image,
    imagePullPolicy: pullPolicy,
    command: spoolAgentCommand(KANIKO_SHELL, `${PATHS.spool}/${CONTAINER.kaniko}`),
    // A mount survives the executor's --cleanup (which empties everything else but /kaniko and /busybox), so
    // builds keep a working directory that exists.
    workingDir: PATHS.workspace,
    volumeMounts: [
      ...WORKSPACE_MOUNTS,
      ...(slot.registrySecret ? [{ name: 'kaniko-registry', mountPath: '/kaniko/.docker', readOnly: true }] : []),
    ],
  };
  const volumes: V1Volume[] = slot.registrySecret
    ? [
        {
          name: 'kaniko-registry',
          secret: {
            secretName: slot.registrySecret,
            items: [{ key: 'config.json', path: 'config.json' }],
            defaultMode: 0o400,
          },
        },
      ]
    : [];
  return { container, volumes };
}

/**
 * Kubernetes refuses an object whose annotations total more than 256 KiB, counting every key and value in bytes
 * (k8s.io/apimachinery pkg/api/validation/objectmeta.go, `TotalAnnotationSizeLimitB`, `ValidateAnnotationsSize`).
 */
export const ANNOTATIONS_MAX_BYTES = 256 * 1024;
/**
 * Workflow and job names only label the pod (they come from a webhook or a workflow file, where nothing bounds
 * them): cut to this many characters so a huge name cannot make the pod unacceptable.
 */
export const NAME_ANNOTATION_MAX = 1024;

const clip = (s: string) => (s.length > NAME_ANNOTATION_MAX ? `${s.slice(0, NAME_ANNOTATION_MAX - 1)}…` : s);

/**
 * Refuses annotations Kubernetes would refuse, before the pod is sent: an InvalidInput that names the pod, the
 * total and the largest annotation, instead of the API server's 422 after the job has started.
 */
export function checkAnnotationsSize(pod: string, annotations: Record<string, string>): void {
  const sizes = Object.entries(annotations).map(([k, v]) => [k, Buffer.byteLength(k) + Buffer.byteLength(v)] as const);
  const total = sizes.reduce((n, [, size]) => n + size, 0);
  if (total <= ANNOTATIONS_MAX_BYTES) return;
  const [key, size] = sizes.reduce((a, b) => (b[1] > a[1] ? b : a));
  throw new InvalidInput(
    `pod ${pod}: its annotations total ${total} bytes, more than the ${ANNOTATIONS_MAX_BYTES} Kubernetes accepts ` +
      `(largest: ${key}, ${size} bytes)`,
    {
      hint:
        key === ANNOTATION.env
          ? 'the job env (workflow/job env:, --env-file) is too large; keep large values in files instead'
          : 'make that annotation smaller',
    },
  );
}

/** Labels and annotations of a job pod (either engine); refuses annotations Kubernetes would refuse. */
export function jobPodMetadata(o: {
  name: string;
  namespace: string;
  component: string;
  runId: string;
  jobId: string;
  repository?: string;
  workflow?: string;
  jobName?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}) {
  const annotations = {
    ...(o.repository ? { [ANNOTATION.repository]: o.repository } : {}),
    ...(o.workflow ? { [ANNOTATION.workflow]: clip(o.workflow) } : {}),
    ...(o.jobName ? { [ANNOTATION.job]: clip(o.jobName) } : {}),
    ...o.annotations,
  };
  checkAnnotationsSize(o.name, annotations);
  return {
    name: o.name,
    namespace: o.namespace,
    labels: {
      [LABEL.managedBy]: MANAGED_BY,
      [LABEL.component]: o.component,
      [LABEL.runId]: labelValue(o.runId),
      [LABEL.jobId]: labelValue(o.jobId),
      ...(o.repository ? { [LABEL.repo]: repositoryLabel(o.repository) } : {}),
      ...o.labels,
    },
    annotations,
  };
}

/**
 * Where the pod may run: `virtual` selects and tolerates virtual nodes; `regular` keeps it off them (no toleration);
 * `any` tolerates them without selecting. `nodeName` pins one node; `nodeSelector` adds the operator's labels.
 */
export function scheduling(o: {
  placement: 'virtual' | 'regular' | 'any';
  nodeName?: string;
  nodeSelector?: Record<string, string>;
}): Pick<V1PodSpec, 'nodeSelector' | 'tolerations'> {
  const nodeSelector = {
    ...(o.placement === 'virtual' ? { [VIRTUAL_NODE_LABEL.key]: VIRTUAL_NODE_LABEL.value } : {}),
    ...(o.nodeName ? { [HOSTNAME_LABEL]: o.nodeName } : {}),
    ...o.nodeSelector,
  };
  const tolerations: V1Toleration[] = o.placement === 'regular' ? [] : [virtualNodeToleration()];
  return { ...(Object.keys(nodeSelector).length ? { nodeSelector } : {}), tolerations };
}

/** Service names resolve to the pod's localhost, as on GitHub's service network. */
export function serviceHostAliases(services: readonly ServiceSpec[]): Pick<V1PodSpec, 'hostAliases'> {
  return services.length ? { hostAliases: [{ ip: '127.0.0.1', hostnames: services.map((s) => s.name) }] } : {};
}

/** What every job pod's spec has: never restarted, short grace, no API token unless a part adds its own. */
export const JOB_POD_SPEC_BASE = {
  restartPolicy: 'Never',
  terminationGracePeriodSeconds: 5,
  automountServiceAccountToken: false,
  enableServiceLinks: false,
} as const satisfies Partial<V1PodSpec>;
