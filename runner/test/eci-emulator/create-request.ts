/**
 * CreateContainerGroup parameters → a validated group spec, refusing what the real service refuses: missing
 * RegionId/SecurityGroupId/VSwitchId, a malformed ContainerGroupName, too many containers or environment variables,
 * privileged containers, host paths, the ports the ECI agent reserves (10250, 10255), volume mounts without volumes,
 * NFS volumes without a server or an absolute path, unknown spot strategies.
 */
import { ApiError, invalid, missing } from './api-error.js';
import type { Params } from './params.js';
import type { RuntimeContainer, RuntimeGroup, RuntimeVolume } from './runtime.js';

export interface CreateLimits {
  maxContainers: number;
  maxEnvPerContainer: number;
}

export interface GroupMeta {
  name: string;
  regionId: string;
  zoneId: string;
  securityGroupId: string;
  vSwitchId: string;
  restartPolicy: RuntimeGroup['restartPolicy'];
  tags: { Key: string; Value: string }[];
  clientToken?: string;
  cpu?: number;
  memory?: number;
  instanceType?: string;
  autoMatchImageCache: boolean;
  imageSnapshotId?: string;
  activeDeadlineSeconds?: number;
  /** NoSpot (default), SpotAsPriceGo or SpotWithPriceLimit: a spot group can be reclaimed (GroupStore.expire). */
  spotStrategy: 'NoSpot' | 'SpotAsPriceGo' | 'SpotWithPriceLimit';
  spotPriceLimit?: number;
  /** Protected hours (0 or 1) before ECI may reclaim a spot group. */
  spotDuration?: number;
}

const NAME = /^[a-z0-9]([a-z0-9-]{0,126}[a-z0-9])?$/;
const CONTAINER_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const RESERVED_PORTS = new Set([10250, 10255]);
/** A host name or IPv4 address, as NAS mount targets are (`xxx.cn-hangzhou.nas.aliyuncs.com`). */
const NFS_SERVER = /^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/;
const SPOT_STRATEGIES = ['NoSpot', 'SpotAsPriceGo', 'SpotWithPriceLimit'] as const;

function container(p: Params, limits: CreateLimits, volumes: Set<string>): RuntimeContainer {
  const name = p.required('Name');
  if (!CONTAINER_NAME.test(name))
    throw invalid('Container.Name', `"${name}" must be 1-63 lowercase letters, digits or hyphens`);
  const env = p.list('EnvironmentVar').map((e) => [e.required('Key'), e.str('Value') ?? ''] as [string, string]);
  if (env.length > limits.maxEnvPerContainer)
    throw invalid(
      'EnvironmentVar',
      `container "${name}" has ${env.length} variables; at most ${limits.maxEnvPerContainer} are allowed`,
    );
  const security = p.struct('SecurityContext');
  if (security?.bool('Privileged'))
    throw new ApiError(
      400,
      'InvalidParameter.Privileged',
      `container "${name}": privileged containers are not supported`,
    );
  const ports = p
    .list('Port')
    .map((x) => ({ port: x.int('Port', 1, 65535) ?? 0, protocol: x.str('Protocol') ?? 'TCP' }));
  for (const { port } of ports) {
    if (port === 0) throw missing('Container.Port.Port');
    if (RESERVED_PORTS.has(port))
      throw new ApiError(400, 'InvalidParameter.Port', `container "${name}": port ${port} is reserved by ECI`);
  }
  const volumeMounts = p.list('VolumeMount').map((m) => {
    const mount = {
      name: m.required('Name'),
      mountPath: m.required('MountPath'),
      readOnly: m.bool('ReadOnly') ?? false,
      ...(m.str('SubPath') ? { subPath: m.str('SubPath')! } : {}),
    };
    if (!volumes.has(mount.name))
      throw invalid(
        'VolumeMount.Name',
        `container "${name}" mounts "${mount.name}", which is not a volume of the group`,
      );
    return mount;
  });
  const cpu = p.num('Cpu');
  const memoryGiB = p.num('Memory');
  const workingDir = p.str('WorkingDir');
  const pull = p.str('ImagePullPolicy');
  return {
    name,
    image: p.required('Image'),
    ...(pull ? { imagePullPolicy: pull } : {}),
    command: p.strings('Command'),
    args: p.strings('Arg'),
    env,
    ...(workingDir ? { workingDir } : {}),
    stdin: p.bool('Stdin') ?? false,
    tty: p.bool('Tty') ?? false,
    ports,
    volumeMounts,
    ...(cpu ? { cpu } : {}),
    ...(memoryGiB ? { memoryGiB } : {}),
  };
}

function volume(p: Params): RuntimeVolume {
  const name = p.required('Name');
  const type = p.str('Type');
  switch (type) {
    case 'EmptyDirVolume': {
      const medium = p.struct('EmptyDirVolume')?.str('Medium');
      return { name, type, ...(medium ? { medium } : {}) };
    }
    case 'ConfigFileVolume':
      return {
        name,
        type,
        files: (p.struct('ConfigFileVolume')?.list('ConfigFileToPath') ?? []).map((f) => {
          const mode = f.int('Mode', 0, 0o777);
          return {
            path: f.required('Path'),
            content: Buffer.from(f.str('Content') ?? '', 'base64'),
            ...(mode !== undefined ? { mode } : {}),
          };
        }),
      };
    case 'NFSVolume': {
      const nfs = p.struct('NFSVolume');
      if (!nfs) throw missing('Volume.NFSVolume.Server');
      const server = nfs.required('Server');
      if (!NFS_SERVER.test(server))
        throw invalid('NFSVolume.Server', `"${server}" is not the host name or IPv4 address of an NFS server`);
      const path = nfs.required('Path');
      if (!path.startsWith('/') || path.split('/').includes('..'))
        throw invalid('NFSVolume.Path', `"${path}" must be an absolute path on the NFS server`);
      return { name, type, nfs: { server, path, readOnly: nfs.bool('ReadOnly') ?? false } };
    }
    case undefined:
      throw missing('Volume.Type');
    default:
      throw invalid('Volume.Type', `"${type}" is not supported (HostPathVolume is not available on ECI)`);
  }
}

export function parseCreate(
  p: Params,
  limits: CreateLimits,
  defaults: { regionId: string; zoneId: string },
): { meta: GroupMeta; spec: Omit<RuntimeGroup, 'id'> } {
  const regionId = p.required('RegionId');
  if (regionId !== defaults.regionId)
    throw new ApiError(400, 'InvalidRegionId.NotFound', `The specified region "${regionId}" does not exist.`);
  const securityGroupId = p.required('SecurityGroupId');
  const vSwitchId = p.required('VSwitchId');
  const name = p.required('ContainerGroupName');
  if (!NAME.test(name))
    throw invalid(
      'ContainerGroupName',
      `"${name}" must be 2-128 characters of lowercase letters, digits and hyphens, starting and ending with a letter or digit`,
    );
  const restartPolicy = p.str('RestartPolicy') ?? 'Always';
  if (restartPolicy !== 'Always' && restartPolicy !== 'OnFailure' && restartPolicy !== 'Never')
    throw invalid('RestartPolicy', `"${restartPolicy}" is not one of Always, OnFailure, Never`);
  const volumes = p.list('Volume').map(volume);
  const names = new Set(volumes.map((v) => v.name));
  if (names.size !== volumes.length) throw invalid('Volume.Name', 'volume names must be unique');
  const containers = p.list('Container').map((c) => container(c, limits, names));
  const initContainers = p.list('InitContainer').map((c) => container(c, limits, names));
  if (containers.length === 0) throw missing('Container.1.Name');
  if (containers.length > limits.maxContainers || initContainers.length > limits.maxContainers)
    throw invalid('Container', `at most ${limits.maxContainers} containers (and as many init containers) are allowed`);
  const all = [...initContainers, ...containers].map((c) => c.name);
  if (new Set(all).size !== all.length) throw invalid('Container.Name', 'container names must be unique in a group');
  const tags = p.tags();
  if (tags.length > 20) throw invalid('Tag', 'at most 20 tags are allowed');
  const clientToken = p.str('ClientToken');
  if (clientToken && clientToken.length > 64) throw invalid('ClientToken', 'at most 64 characters');
  const cpu = p.num('Cpu');
  const memory = p.num('Memory');
  const instanceType = p.str('InstanceType');
  const imageSnapshotId = p.str('ImageSnapshotId');
  const activeDeadlineSeconds = p.int('ActiveDeadlineSeconds', 1);
  const grace = p.int('TerminationGracePeriodSeconds', 0);
  const spotStrategy = p.str('SpotStrategy') ?? 'NoSpot';
  if (!(SPOT_STRATEGIES as readonly string[]).includes(spotStrategy))
    throw invalid('SpotStrategy', `"${spotStrategy}" is not one of ${SPOT_STRATEGIES.join(', ')}`);
  const spotPriceLimit = p.num('SpotPriceLimit');
  if (spotStrategy === 'SpotWithPriceLimit' && spotPriceLimit === undefined) throw missing('SpotPriceLimit');
  const spotDuration = p.int('SpotDuration', 0, 1);
  return {
    meta: {
      name,
      regionId,
      zoneId: p.str('ZoneId') ?? defaults.zoneId,
      securityGroupId,
      vSwitchId,
      restartPolicy,
      tags,
      ...(clientToken ? { clientToken } : {}),
      ...(cpu ? { cpu } : {}),
      ...(memory ? { memory } : {}),
      ...(instanceType ? { instanceType } : {}),
      autoMatchImageCache: p.bool('AutoMatchImageCache') ?? false,
      ...(imageSnapshotId ? { imageSnapshotId } : {}),
      ...(activeDeadlineSeconds ? { activeDeadlineSeconds } : {}),
      spotStrategy: spotStrategy as GroupMeta['spotStrategy'],
      ...(spotStrategy === 'SpotWithPriceLimit' ? { spotPriceLimit: spotPriceLimit! } : {}),
      ...(spotStrategy !== 'NoSpot' && spotDuration !== undefined ? { spotDuration } : {}),
    },
    spec: {
      name,
      restartPolicy,
      initContainers,
      containers,
      volumes,
      registryCredentials: p.list('ImageRegistryCredential').map((r) => ({
        server: r.required('Server'),
        userName: r.required('UserName'),
        password: r.required('Password'),
      })),
      ...(grace !== undefined ? { terminationGracePeriodSeconds: grace } : {}),
    },
  };
}
