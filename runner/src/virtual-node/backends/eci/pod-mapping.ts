/**
 * A pod, fully resolved by the node (PreparedPod), → the CreateContainerGroup request. Everything ECI refuses is
 * refused here first, with a message that names the pod's field, instead of a cryptic API error later.
 */
import type { V1Container } from '@kubernetes/client-node';
import { ANNOTATION, ECI_POD_ANNOTATION, ECI_TAG, InvalidInput, spotPriceLimitOf } from '@eci-virtual/contract';
import { parseQuantity } from '../../../kube/quantity.js';
import type { PreparedPod, PreparedVolume } from '../backend.js';
import type { ParamValue } from './eci-client.js';

export interface EciNodeSettings {
  clusterName: string;
  nodeName: string;
  region: string;
  vSwitchId: string;
  securityGroupId: string;
  zoneId?: string;
}

export const ANNOTATIONS = {
  useSpecs: ECI_POD_ANNOTATION.useSpecs,
  cpu: 'k8s.aliyun.com/eci-cpu',
  memory: 'k8s.aliyun.com/eci-memory',
  autoImageCache: ECI_POD_ANNOTATION.autoImageCache,
  imageCacheId: ECI_POD_ANNOTATION.imageCacheId,
  perfectMatch: 'k8s.aliyun.com/imc-perfect-match',
  spotStrategy: 'k8s.aliyun.com/eci-spot-strategy',
  spotPriceLimit: 'k8s.aliyun.com/eci-spot-price-limit',
  spotDuration: 'k8s.aliyun.com/eci-spot-duration',
} as const;

/** Our tags on container groups and image caches (contract `ECI_TAG`). */
export const TAG = ECI_TAG;

/** Ports the ECI agent uses inside every container group. */
const RESERVED_PORTS = new Set([10250, 10255]);

export function refusals(prepared: PreparedPod): string[] {
  const spec = prepared.pod.spec ?? { containers: [] };
  const problems: string[] = [];
  if (spec.hostNetwork) problems.push('spec.hostNetwork is not available on ECI');
  if (spec.hostPID || spec.hostIPC) problems.push('spec.hostPID/hostIPC are not available on ECI');
  problems.push(...spotProblems(prepared.pod.metadata?.annotations ?? {}));
  for (const v of spec.volumes ?? []) {
    if (v.hostPath) problems.push(`volume "${v.name}": hostPath is not available on ECI (use emptyDir or NFS)`);
    if (v.persistentVolumeClaim)
      problems.push(`volume "${v.name}": PVCs are not supported by this virtual node (use NFS)`);
  }
  for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
    if (c.securityContext?.privileged)
      problems.push(`container "${c.name}": privileged containers are not available on ECI`);
    for (const p of c.ports ?? [])
      if (RESERVED_PORTS.has(p.containerPort))
        problems.push(`container "${c.name}": port ${p.containerPort} is reserved by ECI`);
  }
  return problems;
}

const cores = (q: string | undefined) => (q ? parseQuantity(q) : undefined);
const gib = (q: string | undefined) => (q ? Math.round((parseQuantity(q) / 2 ** 30) * 1000) / 1000 : undefined);

function container(prepared: PreparedPod, c: V1Container): Record<string, ParamValue> {
  const limits = c.resources?.limits ?? c.resources?.requests ?? {};
  return {
    Name: c.name,
    Image: c.image,
    ImagePullPolicy: c.imagePullPolicy,
    Command: c.command,
    Arg: c.args,
    WorkingDir: c.workingDir,
    EnvironmentVar: (prepared.env[c.name] ?? []).map(([Key, Value]) => ({ Key, Value })),
    Cpu: cores(limits.cpu),
    Memory: gib(limits.memory),
    Port: (c.ports ?? []).map((p) => ({ Port: p.containerPort, Protocol: p.protocol ?? 'TCP' })),
    VolumeMount: (c.volumeMounts ?? []).map((m) => ({
      Name: m.name,
      MountPath: m.mountPath,
      ReadOnly: m.readOnly ?? false,
      SubPath: m.subPath,
    })),
    Stdin: c.stdin,
    Tty: c.tty,
  };
}

function volume(v: PreparedVolume): Record<string, ParamValue> {
  if (v.kind === 'nfs')
    return {
      Name: v.name,
      Type: 'NFSVolume',
      NFSVolume: { Server: v.nfs!.server, Path: v.nfs!.path, ReadOnly: v.nfs!.readOnly },
    };
  if (v.kind === 'emptyDir')
    return {
      Name: v.name,
      Type: 'EmptyDirVolume',
      EmptyDirVolume: {
        Medium: v.medium,
        SizeLimit: v.sizeLimitBytes ? `${Math.ceil(v.sizeLimitBytes / 2 ** 20)}Mi` : undefined,
      },
    };
  return {
    Name: v.name,
    Type: 'ConfigFileVolume',
    ConfigFileVolume: {
      ConfigFileToPath: (v.files ?? []).map((f) => ({
        Path: f.path,
        Content: f.content.toString('base64'),
        Mode: f.mode,
      })),
    },
  };
}

export function containerGroupName(namespace: string, name: string): string {
  return `${namespace}-${name}`
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 128)
    .replace(/^-+|-+$/g, '');
}

/**
 * Which image cache the group starts from: the pod's explicit `eci-imc-id` first, then the Ready cache the node keeps
 * for the pod's image set (`readyCacheId`); without either, automatic matching when the pod asks for it
 * (`eci-auto-imc: "true"`) or lists images to cache.
 */
export function imageCacheParams(
  annotations: Record<string, string>,
  cacheImages: readonly string[],
  readyCacheId: string | undefined,
): Record<string, ParamValue> {
  const snapshot = annotations[ANNOTATIONS.imageCacheId] || readyCacheId;
  if (snapshot) return { ImageSnapshotId: snapshot };
  const auto = annotations[ANNOTATIONS.autoImageCache] === 'true' || cacheImages.length > 0;
  return auto ? { AutoMatchImageCache: true } : {};
}

const SPOT_STRATEGIES = ['NoSpot', 'SpotAsPriceGo', 'SpotWithPriceLimit'];

/** What is wrong with the pod's spot annotations, if anything. */
function spotProblems(annotations: Record<string, string>): string[] {
  const strategy = annotations[ANNOTATIONS.spotStrategy];
  const problems: string[] = [];
  const prefer = annotations[ANNOTATION.spot];
  if (prefer !== undefined && prefer !== 'prefer')
    problems.push(`annotation ${ANNOTATION.spot}: "${prefer}" is not "prefer"`);
  const cap = annotations[ANNOTATION.spotPriceLimit];
  if (cap !== undefined && spotPriceLimitOf(cap) === undefined)
    problems.push(`annotation ${ANNOTATION.spotPriceLimit}: "${cap}" is not a positive hourly price`);
  if (strategy === undefined) return problems;
  if (!SPOT_STRATEGIES.includes(strategy))
    problems.push(`annotation ${ANNOTATIONS.spotStrategy}: "${strategy}" is not one of ${SPOT_STRATEGIES.join(', ')}`);
  const limit = annotations[ANNOTATIONS.spotPriceLimit];
  if (limit !== undefined && !(Number(limit) > 0))
    problems.push(`annotation ${ANNOTATIONS.spotPriceLimit}: "${limit}" is not a positive hourly price`);
  if (strategy === 'SpotWithPriceLimit' && limit === undefined)
    problems.push(`annotation ${ANNOTATIONS.spotStrategy}: SpotWithPriceLimit needs ${ANNOTATIONS.spotPriceLimit}`);
  const duration = annotations[ANNOTATIONS.spotDuration];
  if (duration !== undefined && duration !== '0' && duration !== '1')
    problems.push(`annotation ${ANNOTATIONS.spotDuration}: "${duration}" must be 0 or 1 (protected hours)`);
  return problems;
}

/**
 * Preemptible (spot) groups from the ACK annotations `eci-spot-strategy` (SpotAsPriceGo, or SpotWithPriceLimit with
 * `eci-spot-price-limit`) and `eci-spot-duration` (protected hours, 0 or 1). ECI announces a reclaim with a
 * SpotToBeReleased event minutes ahead (copied to the pod's Events); the group then ends Expired.
 */
export function spotParams(annotations: Record<string, string>): Record<string, ParamValue> {
  const strategy = annotations[ANNOTATIONS.spotStrategy];
  if (!strategy) return preferredSpotParams(annotations);
  if (strategy === 'NoSpot') return { SpotStrategy: strategy };
  const duration = annotations[ANNOTATIONS.spotDuration];
  return {
    SpotStrategy: strategy,
    ...(strategy === 'SpotWithPriceLimit' ? { SpotPriceLimit: Number(annotations[ANNOTATIONS.spotPriceLimit]) } : {}),
    ...(duration !== undefined ? { SpotDuration: Number(duration) } : {}),
  };
}

/**
 * The controller's `spot: prefer` (contract `ANNOTATION.spot`, `ANNOTATION.spotPriceLimit`) → CreateContainerGroup's
 * spot parameters, named as the SDK names them (`@alicloud/eci20180808` CreateContainerGroupRequest: `spotStrategy`
 * → `SpotStrategy`, `spotPriceLimit` → `SpotPriceLimit`, a number): `SpotWithPriceLimit` with the cap when there is
 * one, else `SpotAsPriceGo` (the market price, which ECI caps at the pay-as-you-go price). Such a pod may fall back
 * to pay-as-you-go when ECI has no spot stock (spot-fallback.ts); the ACK annotations above never do.
 */
export function preferredSpotParams(annotations: Record<string, string>): Record<string, ParamValue> {
  if (annotations[ANNOTATION.spot] !== 'prefer') return {};
  const cap = spotPriceLimitOf(annotations[ANNOTATION.spotPriceLimit]);
  return cap !== undefined
    ? { SpotStrategy: 'SpotWithPriceLimit', SpotPriceLimit: cap }
    : { SpotStrategy: 'SpotAsPriceGo' };
}

export function createContainerGroupRequest(
  prepared: PreparedPod,
  node: EciNodeSettings,
  readyCacheId?: string,
): Record<string, ParamValue> {
  const problems = refusals(prepared);
  if (problems.length) throw new InvalidInput(`pod cannot run on ECI: ${problems.join('; ')}`);
  const pod = prepared.pod;
  const spec = pod.spec!;
  const a = pod.metadata?.annotations ?? {};
  return {
    ContainerGroupName: containerGroupName(prepared.ref.namespace, prepared.ref.name),
    SecurityGroupId: node.securityGroupId,
    VSwitchId: node.vSwitchId,
    ZoneId: node.zoneId,
    RestartPolicy: spec.restartPolicy ?? 'Always',
    InstanceType: a[ANNOTATIONS.useSpecs],
    Cpu: a[ANNOTATIONS.cpu] ? Number(a[ANNOTATIONS.cpu]) : undefined,
    Memory: a[ANNOTATIONS.memory] ? gib(a[ANNOTATIONS.memory]) : undefined,
    ...imageCacheParams(a, prepared.cacheImages, readyCacheId),
    ...spotParams(a),
    TerminationGracePeriodSeconds: spec.terminationGracePeriodSeconds,
    ActiveDeadlineSeconds: spec.activeDeadlineSeconds,
    HostAliase: (spec.hostAliases ?? []).map((h) => ({ Ip: h.ip, Hostname: h.hostnames })),
    Container: spec.containers.map((c) => container(prepared, c)),
    InitContainer: (spec.initContainers ?? []).map((c) => container(prepared, c)),
    Volume: prepared.volumes.map(volume),
    ImageRegistryCredential: prepared.registryAuths
      .filter((r) => r.username && r.password)
      .map((r) => ({ Server: r.registry, UserName: r.username, Password: r.password })),
    Tag: [
      { Key: TAG.cluster, Value: node.clusterName },
      { Key: TAG.node, Value: node.nodeName },
      { Key: TAG.namespace, Value: prepared.ref.namespace },
      { Key: TAG.name, Value: prepared.ref.name },
      { Key: TAG.uid, Value: prepared.ref.uid },
    ],
    ClientToken: prepared.ref.uid,
  };
}
