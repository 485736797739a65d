/**
 * The emulator driven by Alibaba's official ECI SDK (`@alicloud/eci20180808` over `@alicloud/openapi-client`), the
 * published contract, instead of by our own client: the SDK builds, flattens and signs every request its own way
 * (V3, ACS3-HMAC-SHA256, all parameters in the query string, as the API metadata places them), and every answer is
 * held to the SDK's response model classes — no field the model lacks (the SDK would drop it), no field of the wrong
 * type, and every model field present except those listed in NOT_MODELLED with the reason.
 *
 * This file imports nothing from the product (runner/src): the SDK is the reference, the emulator the subject.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import eciSdk from '@alicloud/eci20180808';
import openapi from '@alicloud/openapi-client';
import teaUtil from '@alicloud/tea-util';
import { FakeRuntime } from './fake-runtime.js';
import type { RuntimeContainerUsage } from './runtime.js';
import { conformance, type ModelClass } from './sdk-models.js';
import { EciEmulator } from './server.js';

const KEY = { id: 'LTAI-sdk-test', secret: 'sdk-test-secret-not-real' };
const REGION = 'cn-hangzhou';
const Client = eciSdk.default;

/** A runtime that also measures (the fake one runs no processes, so its figures are fixed). */
class MeasuredRuntime extends FakeRuntime {
  usage(): Promise<RuntimeContainerUsage[]> {
    return Promise.resolve([
      {
        name: 'main',
        cpuUsageCoreNanoSeconds: 1_500_000_000,
        memoryWorkingSetBytes: 40 << 20,
        memoryUsageBytes: 48 << 20,
      },
      { name: 'side', cpuUsageCoreNanoSeconds: 250_000_000, memoryWorkingSetBytes: 8 << 20 },
    ]);
  }
}

/** The SDK client, recording each raw answer before the SDK casts it into its model (and drops what it lacks). */
class RecordingClient extends Client {
  readonly answers: { action: string; body: unknown }[] = [];

  override async callApi(
    params: InstanceType<typeof openapi.Params>,
    request: InstanceType<typeof openapi.OpenApiRequest>,
    runtime: InstanceType<typeof teaUtil.RuntimeOptions>,
  ): Promise<{ [key: string]: unknown }> {
    const res = await super.callApi(params, request, runtime);
    this.answers.push({ action: params.action!, body: res.body });
    return res;
  }

  body(action: string): unknown {
    const found = this.answers.filter((a) => a.action === action).at(-1);
    if (!found) throw new Error(`no answer to ${action} was recorded`);
    return found.body;
  }
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start() {
  const emu = new EciEmulator({
    runtime: new MeasuredRuntime(),
    accessKeys: { [KEY.id]: KEY.secret },
    delays: { scheduleMs: 20, pullMs: 30, cachedPullMs: 5, imageCacheMs: 60 },
    refreshMs: 20,
    region: REGION,
  });
  await emu.start();
  cleanups.push(() => emu.stop());
  const client = new RecordingClient(
    new openapi.Config({
      accessKeyId: KEY.id,
      accessKeySecret: KEY.secret,
      regionId: REGION,
      endpoint: new URL(emu.endpoint).host,
      protocol: 'http',
    }),
  );
  return { emu, client };
}

const runtime = () => new teaUtil.RuntimeOptions({ autoretry: false, readTimeout: 10_000 });

async function until<T>(check: () => Promise<T | undefined>, ms = 5_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Model fields the emulator does not answer, each for a reason: features the virtual node never asks for (EIPs,
 * probes, DNS settings, GPUs, tenant ENIs, resource groups, ...) and figures a test runtime cannot have. Everything
 * else the SDK model has must be in the answer.
 */
const NOT_MODELLED: Record<string, string[]> = {
  DescribeContainerGroups: [
    // Networking and account features the node does not request.
    'ContainerGroups[].Discount',
    'ContainerGroups[].DnsConfig',
    'ContainerGroups[].EciSecurityContext',
    'ContainerGroups[].EniInstanceId',
    'ContainerGroups[].EphemeralStorage',
    'ContainerGroups[].HostAliases',
    'ContainerGroups[].InternetIp',
    'ContainerGroups[].Ipv6Address',
    'ContainerGroups[].RamRoleName',
    'ContainerGroups[].ResourceGroupId',
    'ContainerGroups[].TenantEniInstanceId',
    'ContainerGroups[].TenantEniIp',
    'ContainerGroups[].TenantSecurityGroupId',
    'ContainerGroups[].TenantVSwitchId',
    'ContainerGroups[].VpcId',
    // Only the end time of the state the group ended in is set; ExpiredTime only for Expired groups.
    'ContainerGroups[].ExpiredTime',
    'ContainerGroups[].FailedTime',
    'ContainerGroups[].SucceededTime',
    'ContainerGroups[].InstanceType',
    'ContainerGroups[].SpotPriceLimit',
    // Probes, GPUs and security contexts are not sent by the node.
    'ContainerGroups[].Containers[].Gpu',
    'ContainerGroups[].Containers[].LivenessProbe',
    'ContainerGroups[].Containers[].ReadinessProbe',
    'ContainerGroups[].Containers[].SecurityContext',
    'ContainerGroups[].InitContainers[].Gpu',
    'ContainerGroups[].InitContainers[].SecurityContext',
    // Restarts are not modelled (groups.ts): there is never a previous state.
    'ContainerGroups[].Containers[].PreviousState',
    'ContainerGroups[].InitContainers[].PreviousState',
    // Set only when the state has it (a signal, an exit code, an end time).
    'ContainerGroups[].Containers[].CurrentState.ExitCode',
    'ContainerGroups[].Containers[].CurrentState.FinishTime',
    'ContainerGroups[].Containers[].CurrentState.Message',
    'ContainerGroups[].Containers[].CurrentState.Reason',
    'ContainerGroups[].Containers[].CurrentState.Signal',
    'ContainerGroups[].InitContainers[].CurrentState.Message',
    'ContainerGroups[].InitContainers[].CurrentState.Signal',
    'ContainerGroups[].Containers[].EnvironmentVars[].ValueFrom',
    'ContainerGroups[].InitContainers[].EnvironmentVars[].ValueFrom',
    // Only the fields of the volume's own type are set.
    'ContainerGroups[].Volumes[].DiskVolumeDiskId',
    'ContainerGroups[].Volumes[].DiskVolumeFsType',
    'ContainerGroups[].Volumes[].EmptyDirVolumeSizeLimit',
    'ContainerGroups[].Volumes[].FlexVolumeDriver',
    'ContainerGroups[].Volumes[].FlexVolumeFsType',
    'ContainerGroups[].Volumes[].FlexVolumeOptions',
    'ContainerGroups[].Volumes[].NFSVolumePath',
    'ContainerGroups[].Volumes[].NFSVolumeReadOnly',
    'ContainerGroups[].Volumes[].NFSVolumeServer',
    'ContainerGroups[].Volumes[].ConfigFileVolumeConfigFileToPaths',
    'ContainerGroups[].Volumes[].EmptyDirVolumeMedium',
    'ContainerGroups[].Containers[].VolumeMounts[].MountPropagation',
    'ContainerGroups[].InitContainers[].VolumeMounts[].MountPropagation',
  ],
  DescribeContainerGroupStatus: [
    'Data[].Annotations',
    'Data[].Namespace',
    'Data[].uuid',
    'Data[].PodStatus.Conditions',
    'Data[].PodStatus.HostIp',
    'Data[].PodStatus.PodIps',
    'Data[].PodStatus.QosClass',
    'Data[].PodStatus.ContainerStatuses[].ImageID',
    'Data[].PodStatus.ContainerStatuses[].LastState',
    // A state object holds the one state the container is in.
    'Data[].PodStatus.ContainerStatuses[].State.Terminated',
    'Data[].PodStatus.ContainerStatuses[].State.Waiting',
    // The model's name for the start time of a running container is `StartedAtstartedAt` (groups.ts, statusView).
    'Data[].PodStatus.ContainerStatuses[].State.Running.StartedAtstartedAt',
  ],
  DescribeContainerGroupMetric: [
    // A test runtime has no disk, filesystem or network counters, nor CPU limits and loads.
    'Records[].Disk',
    'Records[].Filesystem',
    'Records[].Network',
    'Records[].CPU.Limit',
    'Records[].CPU.Load',
    'Records[].CPU.UsageNanoCores',
    'Records[].Memory.AvailableBytes',
    'Records[].Memory.Cache',
    'Records[].Memory.Rss',
    'Records[].Containers[].CPU.Limit',
    'Records[].Containers[].CPU.Load',
    'Records[].Containers[].CPU.UsageNanoCores',
    'Records[].Containers[].Memory.AvailableBytes',
    'Records[].Containers[].Memory.Cache',
    'Records[].Containers[].Memory.Rss',
  ],
  ExecContainerCommand: ['SyncResponse'], // only for Sync=true, which the emulator does not offer
  DescribeImageCaches: [
    'ImageCaches[].EliminationStrategy',
    'ImageCaches[].FlashSnapshotId',
    'ImageCaches[].ResourceGroupId',
    'ImageCaches[].Events[].Reason',
    'ImageCaches[].LastMatchedTime',
  ],
};

/** The answer to `action` holds to the SDK model `body`: nothing unknown, nothing mistyped, nothing else missing. */
function expectConforms(client: RecordingClient, action: string, model: ModelClass): void {
  const { unknown, mismatched, missing } = conformance(model, client.body(action));
  const allowed = new Set(NOT_MODELLED[action] ?? []);
  expect({ action, unknown, mismatched, missing: missing.filter((m) => !allowed.has(m)) }).toEqual({
    action,
    unknown: [],
    mismatched: [],
    missing: [],
  });
}

describe('ECI emulator through the official SDK (@alicloud/eci20180808)', () => {
  it('creates, describes, execs in, reads logs and metrics of, and deletes a container group', async () => {
    const { emu, client } = await start();
    const created = await client.createContainerGroupWithOptions(
      new eciSdk.CreateContainerGroupRequest({
        regionId: REGION,
        securityGroupId: 'sg-sdk',
        vSwitchId: 'vsw-sdk',
        containerGroupName: 'sdk-group',
        restartPolicy: 'Never',
        clientToken: 'sdk-token-1',
        tag: [new eciSdk.CreateContainerGroupRequestTag({ key: 'eci-virtual/node', value: 'sdk' })],
        volume: [
          new eciSdk.CreateContainerGroupRequestVolume({ name: 'work', type: 'EmptyDirVolume' }),
          new eciSdk.CreateContainerGroupRequestVolume({
            name: 'cfg',
            type: 'ConfigFileVolume',
            configFileVolume: new eciSdk.CreateContainerGroupRequestVolumeConfigFileVolume({
              configFileToPath: [
                new eciSdk.CreateContainerGroupRequestVolumeConfigFileVolumeConfigFileToPath({
                  path: 'app.conf',
                  content: Buffer.from('x=1\n').toString('base64'),
                }),
              ],
            }),
          }),
        ],
        initContainer: [
          new eciSdk.CreateContainerGroupRequestInitContainer({
            name: 'prepare',
            image: 'busybox:1.36',
            command: ['sh', '-c'],
            arg: ['echo prepared'],
            volumeMount: [
              new eciSdk.CreateContainerGroupRequestInitContainerVolumeMount({ name: 'work', mountPath: '/work' }),
            ],
          }),
        ],
        container: [
          new eciSdk.CreateContainerGroupRequestContainer({
            name: 'main',
            image: 'busybox:1.36',
            command: ['sh', '-c'],
            arg: ['echo hello from main; sleep 30'],
            cpu: 1,
            memory: 2,
            workingDir: '/work',
            imagePullPolicy: 'IfNotPresent',
            stdin: false,
            tty: false,
            environmentVar: [
              new eciSdk.CreateContainerGroupRequestContainerEnvironmentVar({ key: 'CI', value: 'true' }),
            ],
            port: [new eciSdk.CreateContainerGroupRequestContainerPort({ port: 8080, protocol: 'TCP' })],
            volumeMount: [
              new eciSdk.CreateContainerGroupRequestContainerVolumeMount({ name: 'work', mountPath: '/work' }),
              new eciSdk.CreateContainerGroupRequestContainerVolumeMount({
                name: 'cfg',
                mountPath: '/etc/app',
                readOnly: true,
              }),
            ],
          }),
          new eciSdk.CreateContainerGroupRequestContainer({ name: 'side', image: 'busybox:1.36' }),
        ],
      }),
      runtime(),
    );
    expectConforms(client, 'CreateContainerGroup', eciSdk.CreateContainerGroupResponseBody);
    const id = created.body!.containerGroupId!;
    expect(id).toMatch(/^eci-/);
    // The SDK's own request went through: V3 signature, parameters in the query string.
    const call = emu.calls.find((c) => c.action === 'CreateContainerGroup')!;
    expect(call).toMatchObject({ status: 200 });
    expect(call.params).toMatchObject({
      'Container.1.EnvironmentVar.1.Key': 'CI',
      'Volume.2.Type': 'ConfigFileVolume',
    });

    // DescribeContainerGroups: the SDK reads the group's state, its containers' states and its events.
    const group = await until(async () => {
      const res = await client.describeContainerGroupsWithOptions(
        new eciSdk.DescribeContainerGroupsRequest({
          regionId: REGION,
          containerGroupIds: JSON.stringify([id]),
          withEvent: true,
        }),
        runtime(),
      );
      const g = res.body!.containerGroups![0]!;
      return g.status === 'Running' && g.containers!.every((c) => c.currentState?.state === 'Running') ? g : undefined;
    });
    expectConforms(client, 'DescribeContainerGroups', eciSdk.DescribeContainerGroupsResponseBody);
    expect(group.containerGroupName).toBe('sdk-group');
    expect(group.tags).toEqual([expect.objectContaining({ key: 'eci-virtual/node', value: 'sdk' })]);
    expect(group.initContainers![0]).toMatchObject({ name: 'prepare', command: ['sh', '-c'], args: ['echo prepared'] });
    expect(group.initContainers![0]!.currentState).toMatchObject({ state: 'Terminated', exitCode: 0 });
    expect(group.containers![0]).toMatchObject({ name: 'main', cpu: 1, memory: 2, commands: ['sh', '-c'] });
    expect(group.volumes!.find((v) => v.name === 'cfg')).toMatchObject({
      type: 'ConfigFileVolume',
      configFileVolumeConfigFileToPaths: [expect.objectContaining({ path: 'app.conf' })],
    });
    expect(group.events!.map((e) => e.reason)).toContain('Started');

    // DescribeContainerGroupStatus: the SDK reads the name, the phase and each container's state.
    const status = await client.describeContainerGroupStatusWithOptions(
      new eciSdk.DescribeContainerGroupStatusRequest({ regionId: REGION, containerGroupIds: JSON.stringify([id]) }),
      runtime(),
    );
    expectConforms(client, 'DescribeContainerGroupStatus', eciSdk.DescribeContainerGroupStatusResponseBody);
    const data = status.body!.data![0]!;
    expect(data).toMatchObject({ containerGroupId: id, name: 'sdk-group', status: 'Running' });
    expect(data.podStatus!.phase).toBe('Running');
    expect(data.podStatus!.containerStatuses!.find((c) => c.name === 'main')!.state!.running).toBeDefined();

    // ExecContainerCommand: a WebSocket to attach to.
    const exec = await client.execContainerCommandWithOptions(
      new eciSdk.ExecContainerCommandRequest({
        regionId: REGION,
        containerGroupId: id,
        containerName: 'main',
        command: JSON.stringify(['echo', 'hi']),
        TTY: false,
        stdin: false,
      }),
      runtime(),
    );
    expectConforms(client, 'ExecContainerCommand', eciSdk.ExecContainerCommandResponseBody);
    expect(exec.body!.webSocketUri).toMatch(/^ws:\/\//);

    // DescribeContainerLog.
    const log = await client.describeContainerLogWithOptions(
      new eciSdk.DescribeContainerLogRequest({
        regionId: REGION,
        containerGroupId: id,
        containerName: 'main',
        tail: 10,
      }),
      runtime(),
    );
    expectConforms(client, 'DescribeContainerLog', eciSdk.DescribeContainerLogResponseBody);
    expect(log.body).toMatchObject({ containerName: 'main', content: expect.stringContaining('hello from main') });

    // DescribeContainerGroupMetric: the figures the node's /stats/summary reports.
    const metric = await client.describeContainerGroupMetricWithOptions(
      new eciSdk.DescribeContainerGroupMetricRequest({ regionId: REGION, containerGroupId: id }),
      runtime(),
    );
    expectConforms(client, 'DescribeContainerGroupMetric', eciSdk.DescribeContainerGroupMetricResponseBody);
    const record = metric.body!.records![0]!;
    expect(record.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(record.CPU!.usageCoreNanoSeconds).toBe(1_750_000_000);
    expect(record.memory).toMatchObject({ workingSet: 48 << 20, usageBytes: 56 << 20 });
    expect(record.containers!.find((c) => c.name === 'main')).toMatchObject({
      CPU: expect.objectContaining({ usageCoreNanoSeconds: 1_500_000_000 }),
      memory: expect.objectContaining({ workingSet: 40 << 20, usageBytes: 48 << 20 }),
    });

    // DeleteContainerGroup; the group is gone for the SDK too.
    await client.deleteContainerGroupWithOptions(
      new eciSdk.DeleteContainerGroupRequest({ regionId: REGION, containerGroupId: id }),
      runtime(),
    );
    expectConforms(client, 'DeleteContainerGroup', eciSdk.DeleteContainerGroupResponseBody);
    const after = await client.describeContainerGroupsWithOptions(
      new eciSdk.DescribeContainerGroupsRequest({ regionId: REGION, containerGroupIds: JSON.stringify([id]) }),
      runtime(),
    );
    expect(after.body!.containerGroups).toEqual([]);
    expect(after.body!.totalCount).toBe(0);
    // Errors come back in the published shape, which the SDK turns into its error with the code.
    await expect(
      client.deleteContainerGroupWithOptions(
        new eciSdk.DeleteContainerGroupRequest({ regionId: REGION, containerGroupId: id }),
        runtime(),
      ),
    ).rejects.toMatchObject({ code: 'InvalidContainerGroup.NotFound', statusCode: 404 });
  });

  it('accepts an SDK request whose query string is longer than 16 KiB', async () => {
    const { client } = await start();
    const content = Buffer.from('x'.repeat(48 * 1024)).toString('base64');
    const res = await client.createContainerGroupWithOptions(
      new eciSdk.CreateContainerGroupRequest({
        regionId: REGION,
        securityGroupId: 'sg-sdk',
        vSwitchId: 'vsw-sdk',
        containerGroupName: 'sdk-big',
        volume: [
          new eciSdk.CreateContainerGroupRequestVolume({
            name: 'cfg',
            type: 'ConfigFileVolume',
            configFileVolume: new eciSdk.CreateContainerGroupRequestVolumeConfigFileVolume({
              configFileToPath: [
                new eciSdk.CreateContainerGroupRequestVolumeConfigFileVolumeConfigFileToPath({ path: 'big', content }),
              ],
            }),
          }),
        ],
        container: [new eciSdk.CreateContainerGroupRequestContainer({ name: 'main', image: 'busybox:1.36' })],
      }),
      runtime(),
    );
    expect(res.body!.containerGroupId).toMatch(/^eci-/);
  });

  it('creates an image cache and describes it until Ready', async () => {
    const { client } = await start();
    const created = await client.createImageCacheWithOptions(
      new eciSdk.CreateImageCacheRequest({
        regionId: REGION,
        securityGroupId: 'sg-sdk',
        vSwitchId: 'vsw-sdk',
        imageCacheName: 'sdk-cache',
        image: ['busybox:1.36', 'alpine:3.20'],
        retentionDays: 7,
        tag: [new eciSdk.CreateImageCacheRequestTag({ key: 'eci-virtual/cluster', value: 'sdk' })],
        imageRegistryCredential: [
          new eciSdk.CreateImageCacheRequestImageRegistryCredential({
            server: 'registry.example.com',
            userName: 'u',
            password: 'p',
          }),
        ],
      }),
      runtime(),
    );
    expectConforms(client, 'CreateImageCache', eciSdk.CreateImageCacheResponseBody);
    const id = created.body!.imageCacheId!;
    expect(id).toMatch(/^imc-/);
    const cache = await until(async () => {
      const res = await client.describeImageCachesWithOptions(
        new eciSdk.DescribeImageCachesRequest({ regionId: REGION, imageCacheId: id }),
        runtime(),
      );
      const c = res.body!.imageCaches![0];
      return c?.status === 'Ready' ? c : undefined;
    });
    expectConforms(client, 'DescribeImageCaches', eciSdk.DescribeImageCachesResponseBody);
    expect(cache).toMatchObject({
      imageCacheName: 'sdk-cache',
      images: ['busybox:1.36', 'alpine:3.20'],
      regionId: REGION,
      snapshotId: expect.stringMatching(/^s-/),
      progress: '100%',
      tags: [expect.objectContaining({ key: 'eci-virtual/cluster', value: 'sdk' })],
    });
    // MatchImage: the caches holding every image asked for.
    const matched = await client.describeImageCachesWithOptions(
      new eciSdk.DescribeImageCachesRequest({ regionId: REGION, matchImage: ['alpine:3.20'] }),
      runtime(),
    );
    expect(matched.body!.imageCaches!.map((c) => c.imageCacheId)).toEqual([id]);
    await client.deleteImageCacheWithOptions(
      new eciSdk.DeleteImageCacheRequest({ regionId: REGION, imageCacheId: id }),
      runtime(),
    );
    expectConforms(client, 'DeleteImageCache', eciSdk.DeleteImageCacheResponseBody);
  });
});
