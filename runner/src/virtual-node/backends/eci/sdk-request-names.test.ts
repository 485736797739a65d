/**
 * Every parameter our ECI client sends exists, under that exact name and with a value of its type, in the request
 * model of Alibaba's official SDK (`@alicloud/eci20180808`, `<Action>Request.names()/types()`), the published
 * contract. The generated ECI SDK is a devDependency: the product builds its own parameters (pod-mapping.ts,
 * eci-client.ts flattenParams) and sends them through the SDK core (`@alicloud/openapi-client`, every parameter in the
 * query string, as the generated SDK does); only the tests load the generated SDK, as the reference.
 *
 * The requests are the product's own: CreateContainerGroup requests built for pods that use every mapping the node
 * has, and every call the backend and the image-cache manager make against the emulator while they create, watch,
 * read logs of, exec in, measure and delete a pod and build, refresh and retire an image cache.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import eciSdk from '@alicloud/eci20180808';
import { PassThrough } from 'node:stream';
import { createLogger } from '../../../observability/logger.js';
import { clientFor, NODE, preparedPod, running, startEmulator, until } from '../../../../test/eci-emulator/fixtures.js';
import { requestParamProblem, type ModelClass } from '../../../../test/eci-emulator/sdk-models.js';
import type { PreparedPod } from '../backend.js';
import { EciBackend } from './eci-backend.js';
import { flattenParams } from './eci-client.js';
import { ImageCacheManager } from './image-cache-manager.js';
import { ANNOTATIONS, createContainerGroupRequest } from './pod-mapping.js';

const log = createLogger({}, { level: 'error' });
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
const signal = () => new AbortController().signal;

/** The SDK's request model of `action`. */
function requestModel(action: string): ModelClass {
  const model = (eciSdk as unknown as Record<string, ModelClass | undefined>)[`${action}Request`];
  if (!model) throw new Error(`the SDK has no ${action}Request`);
  return model;
}

/** `name=value` problems of a flattened request against the SDK's model of `action`. */
function problems(action: string, params: Record<string, string>): string[] {
  const model = requestModel(action);
  return Object.entries(params)
    .map(([name, value]) => requestParamProblem(model, name, value))
    .filter((p): p is string => p !== undefined);
}

/** A pod that uses every part of the mapping: init containers, ports, env, every volume kind, credentials, … */
function everythingPod(annotations: Record<string, string>): PreparedPod {
  const pod = preparedPod(
    [
      {
        command: ['sh', '-c'],
        args: ['echo hi'],
        workingDir: '/work',
        imagePullPolicy: 'Always',
        stdin: true,
        tty: true,
        ports: [{ containerPort: 8080, protocol: 'TCP' }],
        resources: { limits: { cpu: '500m', memory: '1Gi' } },
        volumeMounts: [
          { name: 'work', mountPath: '/work' },
          { name: 'cfg', mountPath: '/etc/app', readOnly: true, subPath: 'app' },
          { name: 'share', mountPath: '/share' },
          { name: 'mem', mountPath: '/tmp/mem' },
        ],
      },
    ],
    {
      initContainers: [
        {
          name: 'prepare',
          image: 'busybox:1.36',
          command: ['true'],
          volumeMounts: [{ name: 'work', mountPath: '/w' }],
        },
      ],
      terminationGracePeriodSeconds: 5,
      activeDeadlineSeconds: 3600,
      hostAliases: [{ ip: '10.0.0.1', hostnames: ['a.example', 'b.example'] }],
    },
  );
  pod.pod.metadata!.annotations = annotations;
  pod.env.prepare = [['A', 'b']];
  pod.volumes = [
    { name: 'work', kind: 'emptyDir', sizeLimitBytes: 2 ** 30 },
    { name: 'mem', kind: 'emptyDir', medium: 'Memory' },
    { name: 'cfg', kind: 'files', files: [{ path: 'app/x.conf', content: Buffer.from('x=1'), mode: 0o644 }] },
    { name: 'share', kind: 'nfs', nfs: { server: 'nas.example.com', path: '/ci', readOnly: false } },
  ];
  pod.registryAuths = [{ registry: 'registry.example.com', username: 'u', password: 'p' }];
  pod.cacheImages = ['busybox:1.36'];
  return pod;
}

describe('ECI requests against the official SDK request models', () => {
  it('CreateContainerGroup: every parameter of every mapping is in CreateContainerGroupRequest', () => {
    const variants: Record<string, string>[] = [
      { [ANNOTATIONS.cpu]: '2', [ANNOTATIONS.memory]: '4Gi', [ANNOTATIONS.autoImageCache]: 'true' },
      { [ANNOTATIONS.useSpecs]: 'ecs.c6.large', [ANNOTATIONS.imageCacheId]: 'imc-1' },
      { [ANNOTATIONS.spotStrategy]: 'SpotWithPriceLimit', [ANNOTATIONS.spotPriceLimit]: '0.2' },
      { [ANNOTATIONS.spotStrategy]: 'SpotAsPriceGo', [ANNOTATIONS.spotDuration]: '0' },
    ];
    const sent = new Set<string>();
    for (const annotations of variants) {
      const flat = flattenParams({
        RegionId: NODE.region,
        ...createContainerGroupRequest(everythingPod(annotations), NODE),
      });
      Object.keys(flat).forEach((k) => sent.add(k.replace(/\.\d+(?=\.|$)/g, '.N')));
      expect(problems('CreateContainerGroup', flat)).toEqual([]);
    }
    // The check saw the whole mapping (a parameter the mapping drops would drop out of here too).
    for (const name of [
      'InitContainer.N.VolumeMount.N.MountPath',
      'Container.N.VolumeMount.N.SubPath',
      'Container.N.EnvironmentVar.N.Key',
      'Container.N.Port.N.Protocol',
      'Volume.N.EmptyDirVolume.SizeLimit',
      'Volume.N.EmptyDirVolume.Medium',
      'Volume.N.ConfigFileVolume.ConfigFileToPath.N.Mode',
      'Volume.N.NFSVolume.Server',
      'HostAliase.N.Hostname.N',
      'ImageRegistryCredential.N.Password',
      'Tag.N.Value',
      'ImageSnapshotId',
      'AutoMatchImageCache',
      'InstanceType',
      'SpotPriceLimit',
      'SpotDuration',
      'ClientToken',
    ])
      expect(sent).toContain(name);
  });

  it('every call the backend and the image-cache manager make uses only names of the SDK request model', async () => {
    const { emu } = await startEmulator({}, { timeScale: 1 });
    cleanups.push(() => emu.stop());
    const backend = running(
      new EciBackend({
        client: clientFor(emu),
        node: NODE,
        log,
        pollIntervalMs: 30,
        resyncMs: 200,
        logPollIntervalMs: 40,
      }),
      cleanups,
    );
    const pod = preparedPod([{}]); // the image's own command: runs until deleted
    await backend.createPod(pod, signal());
    await until(async () => (await backend.getPodStatus(pod.ref))?.phase === 'Running');
    await backend.podUsage([pod.ref]);
    const read = async (s: NodeJS.ReadableStream) => {
      for await (const _ of s) void _;
    };
    await read(
      await backend.containerLogs(
        pod.ref,
        'c0',
        { follow: false, timestamps: true, previous: false, tailLines: 5, sinceSeconds: 60, limitBytes: 1000 },
        signal(),
      ),
    );
    await read(
      await backend.containerLogs(
        pod.ref,
        'c0',
        { follow: false, timestamps: false, previous: false, sinceTime: new Date(Date.now() - 60_000) },
        signal(),
      ),
    );
    const follow = new AbortController();
    const followed = backend.containerLogs(
      pod.ref,
      'c0',
      { follow: true, timestamps: false, previous: false },
      follow.signal,
    );
    setTimeout(() => follow.abort(), 150);
    await read(await followed);
    await backend.exec(pod.ref, 'c0', ['true'], { stdout: new PassThrough(), tty: false }, signal());
    await until(() => emu.count('DescribeContainerGroupStatus') > 0);
    // A node restarting: its groups are found again by tag.
    const restarted = running(
      new EciBackend({ client: clientFor(emu), node: NODE, log, pollIntervalMs: 30 }),
      cleanups,
    );
    await restarted.listPods();
    await backend.deletePod(pod.ref, 0);

    const caches = new ImageCacheManager({
      client: clientFor(emu),
      node: NODE,
      log,
      retentionDays: 7,
      refreshMs: 150,
      pollIntervalMs: 20,
      failureBackoffMs: 10,
      supersededGraceMs: 0,
    });
    const loop = caches.run(signal());
    cleanups.push(async () => {
      caches.stop();
      await loop;
    });
    const auths = [{ registry: 'registry.example.com', username: 'u', password: 'p' }];
    // Used all along, so the set's cache is refreshed, and the superseded one deleted.
    await until(() => {
      caches.readyCacheFor(['busybox:1.36', 'alpine:3.20'], auths);
      return emu.count('DeleteImageCache') > 0;
    }, 10_000);

    const actions = [...new Set(emu.calls.map((c) => c.action))].sort();
    expect(actions).toEqual([
      'CreateContainerGroup',
      'CreateImageCache',
      'DeleteContainerGroup',
      'DeleteImageCache',
      'DescribeContainerGroupMetric',
      'DescribeContainerGroupStatus',
      'DescribeContainerGroups',
      'DescribeContainerLog',
      'DescribeImageCaches',
      'ExecContainerCommand',
    ]);
    const wrong = emu.calls.flatMap((c) => problems(c.action, c.params).map((p) => `${c.action}: ${p}`));
    expect([...new Set(wrong)]).toEqual([]);
    // Every call was answered (a parameter the emulator refused would show here).
    expect(emu.calls.filter((c) => c.status !== 200)).toEqual([]);
  });
});
