/**
 * Maps a prepared pod to Docker Engine container-create bodies (pure). One "infra" container owns the pod's network
 * namespace and mounts every file volume, the pod's containers join its network/IPC namespaces, emptyDirs become
 * named volumes shared by the containers that mount them. Anything the engine cannot honour is refused up front.
 */
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { InvalidInput } from '@eci-virtual/contract';
import { parseQuantity } from '../../../kube/quantity.js';
import { expandVars } from '../../pods/pod-inputs.js';
import type { PreparedPod } from '../backend.js';
import { containerName, LABEL, podLabels, volumeName, type Role } from './labels.js';

/** Where the infra container mounts file volumes, so their contents can be uploaded before anything starts. */
export const FILES_ROOT = '/.eci-virtual/volumes';
/** Where the infra container mounts the pod's emptyDirs (to open their permissions). */
export const EMPTYDIR_ROOT = '/__eci_emptydir';

export interface ContainerCreateBody {
  Image: string;
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Env: string[];
  WorkingDir?: string;
  User?: string;
  Tty: boolean;
  OpenStdin: boolean;
  StdinOnce: boolean;
  AttachStdin: boolean;
  Labels: Record<string, string>;
  Hostname?: string;
  StopSignal?: string;
  HostConfig: {
    NetworkMode?: string;
    IpcMode?: string;
    Mounts: { Type: 'volume' | 'tmpfs'; Source?: string; Target: string; ReadOnly: boolean }[];
    /** `host:ip` entries for /etc/hosts (pod hostAliases); containers joining the infra network share them. */
    ExtraHosts?: string[];
    Memory?: number;
    NanoCpus?: number;
    RestartPolicy: { Name: string; MaximumRetryCount?: number };
    Privileged: false;
    ReadonlyRootfs?: boolean;
    CapAdd?: string[];
    CapDrop?: string[];
  };
}

export interface PlannedContainer {
  name: string;
  /** Kubernetes container name; undefined for the infra container. */
  container: string | undefined;
  role: Role;
  image: string;
  pullPolicy: 'Always' | 'IfNotPresent' | 'Never';
  body: ContainerCreateBody;
}

export interface PodPlan {
  infra: PlannedContainer;
  init: PlannedContainer[];
  app: PlannedContainer[];
  /** Named volumes to create: emptyDirs and file volumes. */
  volumes: { name: string; volume: string; kind: 'emptyDir' | 'files' }[];
}

function refuse(pod: V1Pod): void {
  const spec = pod.spec;
  if (spec?.hostNetwork) throw new InvalidInput('hostNetwork is not supported on a virtual node');
  if (spec?.hostPID || spec?.hostIPC) throw new InvalidInput('hostPID/hostIPC are not supported on a virtual node');
  for (const c of [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])]) {
    if (c.securityContext?.privileged)
      throw new InvalidInput(`container ${c.name}: privileged containers are not supported on a virtual node`);
    for (const p of c.ports ?? []) {
      if (p.hostPort) throw new InvalidInput(`container ${c.name}: hostPort is not supported on a virtual node`);
    }
  }
}

function restartPolicy(pod: V1Pod, role: Role): ContainerCreateBody['HostConfig']['RestartPolicy'] {
  if (role !== 'app') return { Name: 'no' };
  switch (pod.spec?.restartPolicy ?? 'Always') {
    case 'Always':
      return { Name: 'always' };
    case 'OnFailure':
      return { Name: 'on-failure' };
    default:
      return { Name: 'no' };
  }
}

function user(pod: V1Pod, c: V1Container): string | undefined {
  const uid = c.securityContext?.runAsUser ?? pod.spec?.securityContext?.runAsUser;
  const gid = c.securityContext?.runAsGroup ?? pod.spec?.securityContext?.runAsGroup;
  if (uid === undefined) return undefined;
  return gid === undefined ? String(uid) : `${uid}:${gid}`;
}

function resources(c: V1Container): Pick<ContainerCreateBody['HostConfig'], 'Memory' | 'NanoCpus'> {
  const limits = c.resources?.limits ?? {};
  const out: Pick<ContainerCreateBody['HostConfig'], 'Memory' | 'NanoCpus'> = {};
  if (limits.memory !== undefined) out.Memory = Math.round(parseQuantity(String(limits.memory)));
  if (limits.cpu !== undefined) out.NanoCpus = Math.round(parseQuantity(String(limits.cpu)) * 1e9);
  return out;
}

export function planPod(prepared: PreparedPod, opts: { nodeName: string; infraImage: string }): PodPlan {
  const { pod, ref } = prepared;
  refuse(pod);
  const base = podLabels(opts.nodeName, ref);
  const volumeKinds = new Map(prepared.volumes.map((v) => [v.name, v]));
  const volumes = prepared.volumes.map((v) => {
    // The node refuses these already (DockerBackend has no `nfsVolumes`); never mount an empty volume instead.
    if (v.kind === 'nfs')
      throw new InvalidInput(
        `volume ${v.name}: nfs volumes are not supported on a virtual node with the docker backend`,
      );
    return { name: volumeName(ref, v.name), volume: v.name, kind: v.kind };
  });
  const infraName = containerName(ref, undefined);

  const infra: PlannedContainer = {
    name: infraName,
    container: undefined,
    role: 'infra',
    image: opts.infraImage,
    pullPolicy: 'IfNotPresent',
    body: {
      Image: opts.infraImage,
      Entrypoint: ['/bin/sh', '-c'],
      // Opens the emptyDirs to every user, as the kubelet creates them (0777), then sleeps until stopped; exits
      // promptly on SIGTERM so pod deletion is not held up by the grace period. Infra starts before any container
      // of the pod is even created, so the chmod is done by the time one mounts the volume.
      Cmd: [
        `chmod 0777 ${EMPTYDIR_ROOT}/* 2>/dev/null; trap "exit 0" TERM INT; while :; do sleep 3600 & wait $!; done`,
      ],
      Env: [],
      Tty: false,
      OpenStdin: false,
      StdinOnce: false,
      AttachStdin: false,
      Hostname: ref.name.slice(0, 63),
      Labels: { ...base, [LABEL.role]: 'infra' },
      HostConfig: {
        Mounts: volumes
          .filter((v) => v.kind === 'files' || volumeKinds.get(v.volume)?.medium !== 'Memory')
          .map((v) => ({
            Type: 'volume',
            Source: v.name,
            Target: `${v.kind === 'files' ? FILES_ROOT : EMPTYDIR_ROOT}/${v.volume}`,
            ReadOnly: false,
          })),
        RestartPolicy: { Name: 'no' },
        Privileged: false,
        ...(pod.spec?.hostAliases?.length
          ? { ExtraHosts: pod.spec.hostAliases.flatMap((a) => (a.hostnames ?? []).map((h) => `${h}:${a.ip}`)) }
          : {}),
      },
    },
  };

  const plan = (c: V1Container, role: Role, index: number): PlannedContainer => {
    const env = prepared.env[c.name] ?? [];
    const vars = new Map(env);
    const mounts: ContainerCreateBody['HostConfig']['Mounts'] = [];
    for (const m of c.volumeMounts ?? []) {
      const v = volumeKinds.get(m.name);
      if (!v) throw new InvalidInput(`container ${c.name}: volumeMount "${m.name}" has no matching volume`);
      if (m.subPath || m.subPathExpr)
        throw new InvalidInput(`container ${c.name}: subPath mounts are not supported by the docker backend`);
      if (v.kind === 'emptyDir' && v.medium === 'Memory') {
        mounts.push({ Type: 'tmpfs', Target: m.mountPath, ReadOnly: m.readOnly ?? false });
      } else {
        mounts.push({
          Type: 'volume',
          Source: volumeName(ref, m.name),
          Target: m.mountPath,
          ReadOnly: v.kind === 'files' ? true : (m.readOnly ?? false),
        });
      }
    }
    const caps = c.securityContext?.capabilities;
    const u = user(pod, c);
    const body: ContainerCreateBody = {
      Image: c.image ?? '',
      // Kubernetes `command` replaces the image ENTRYPOINT (and then the image CMD is not used); `args` replaces CMD.
      ...(c.command
        ? { Entrypoint: c.command.map((a) => expandVars(a, vars)), Cmd: (c.args ?? []).map((a) => expandVars(a, vars)) }
        : {}),
      ...(!c.command && c.args ? { Cmd: c.args.map((a) => expandVars(a, vars)) } : {}),
      Env: env.map(([k, v]) => `${k}=${v}`),
      ...(c.workingDir ? { WorkingDir: c.workingDir } : {}),
      ...(u ? { User: u } : {}),
      Tty: c.tty ?? false,
      OpenStdin: c.stdin ?? false,
      StdinOnce: c.stdinOnce ?? false,
      AttachStdin: false,
      Labels: { ...base, [LABEL.role]: role, [LABEL.container]: c.name, [LABEL.index]: String(index) },
      // Podman gives each container joining a network namespace its own hostname unless told otherwise.
      Hostname: ref.name.slice(0, 63),
      HostConfig: {
        NetworkMode: `container:${infraName}`,
        IpcMode: `container:${infraName}`,
        Mounts: mounts,
        ...resources(c),
        RestartPolicy: restartPolicy(pod, role),
        Privileged: false,
        ...(c.securityContext?.readOnlyRootFilesystem ? { ReadonlyRootfs: true } : {}),
        ...(caps?.add?.length ? { CapAdd: caps.add } : {}),
        ...(caps?.drop?.length ? { CapDrop: caps.drop } : {}),
      },
    };
    if (!c.image) throw new InvalidInput(`container ${c.name}: no image`);
    return {
      name: containerName(ref, c.name),
      container: c.name,
      role,
      image: c.image,
      pullPolicy:
        (c.imagePullPolicy as PlannedContainer['pullPolicy'] | undefined) ??
        (/:latest$|^[^:]+$/.test(c.image.split('/').pop() ?? '') ? 'Always' : 'IfNotPresent'),
      body,
    };
  };

  return {
    infra,
    init: (pod.spec?.initContainers ?? []).map((c, i) => plan(c, 'init', i)),
    app: (pod.spec?.containers ?? []).map((c, i) => plan(c, 'app', i)),
    volumes,
  };
}
