import { describe, expect, it } from '@jest/globals';
import type { V1Pod } from '@kubernetes/client-node';
import { ANNOTATION, cacheImagesOf, ECI_TAG } from '@eci-virtual/contract';
import type { PreparedPod } from '../backend.js';
import { flattenParams } from './eci-client.js';
import { createContainerGroupRequest, imageCacheParams, refusals, spotParams } from './pod-mapping.js';

const node = {
  clusterName: 'c1',
  nodeName: 'eci-virtual',
  region: 'cn-hangzhou',
  vSwitchId: 'vsw-1',
  securityGroupId: 'sg-1',
  zoneId: 'cn-hangzhou-k',
};

function prepared(pod: Partial<V1Pod['spec']> = {}, annotations: Record<string, string> = {}): PreparedPod {
  return {
    ref: { namespace: 'ci', name: 'eci-job-7', uid: 'u-7' },
    pod: {
      metadata: { name: 'eci-job-7', namespace: 'ci', uid: 'u-7', annotations },
      spec: {
        restartPolicy: 'Never',
        containers: [
          {
            name: 'job',
            image: 'node:20',
            command: ['sh', '-c'],
            args: ['sleep 1'],
            resources: { limits: { cpu: '2', memory: '4Gi' } },
            volumeMounts: [{ name: 'work', mountPath: '/__w' }],
          },
        ],
        initContainers: [{ name: 'eci-hooks', image: 'hooks:1' }],
        volumes: [
          { name: 'work', emptyDir: {} },
          { name: 'cfg', configMap: { name: 'x' } },
          { name: 'share', nfs: { server: 'nas.example.com', path: '/ci' } },
        ],
        ...pod,
      },
    },
    env: { job: [['A', '1']] },
    volumes: [
      { name: 'work', kind: 'emptyDir' },
      { name: 'cfg', kind: 'files', files: [{ path: 'k', content: Buffer.from('v'), mode: 0o644 }] },
      { name: 'share', kind: 'nfs', nfs: { server: 'nas.example.com', path: '/ci', readOnly: true } },
    ],
    registryAuths: [{ registry: 'reg.example.com', username: 'u', password: 'p' }],
    cacheImages: cacheImagesOf(annotations),
  };
}

describe('pod → container group', () => {
  it('maps containers, volumes, annotations, credentials and tags', () => {
    const req = flattenParams(
      createContainerGroupRequest(
        prepared({}, { 'k8s.aliyun.com/eci-use-specs': 'ecs.c6.large', 'k8s.aliyun.com/eci-auto-imc': 'true' }),
        node,
      ),
    );
    expect(req).toMatchObject({
      ContainerGroupName: 'ci-eci-job-7',
      SecurityGroupId: 'sg-1',
      VSwitchId: 'vsw-1',
      ZoneId: 'cn-hangzhou-k',
      RestartPolicy: 'Never',
      InstanceType: 'ecs.c6.large',
      AutoMatchImageCache: 'true',
      'Container.1.Name': 'job',
      'Container.1.Command.2': '-c',
      'Container.1.Arg.1': 'sleep 1',
      'Container.1.Cpu': '2',
      'Container.1.Memory': '4',
      'Container.1.EnvironmentVar.1.Key': 'A',
      'Container.1.VolumeMount.1.MountPath': '/__w',
      'InitContainer.1.Image': 'hooks:1',
      'Volume.1.Type': 'EmptyDirVolume',
      'Volume.2.Type': 'ConfigFileVolume',
      'Volume.2.ConfigFileVolume.ConfigFileToPath.1.Content': Buffer.from('v').toString('base64'),
      'Volume.3.Name': 'share',
      'Volume.3.Type': 'NFSVolume',
      'Volume.3.NFSVolume.Server': 'nas.example.com',
      'Volume.3.NFSVolume.Path': '/ci',
      'Volume.3.NFSVolume.ReadOnly': 'true',
      'ImageRegistryCredential.1.Server': 'reg.example.com',
      'Tag.5.Key': ECI_TAG.uid,
      'Tag.5.Value': 'u-7',
      ClientToken: 'u-7',
    });
  });

  it('refuses what ECI cannot run, up front and by field', () => {
    const bad = prepared({
      hostNetwork: true,
      volumes: [{ name: 'docker', hostPath: { path: '/var/run/docker.sock' } }],
      containers: [
        {
          name: 'dind',
          image: 'docker:dind',
          securityContext: { privileged: true },
          ports: [{ containerPort: 10250 }],
        },
      ],
    });
    expect(refusals(bad)).toEqual([
      'spec.hostNetwork is not available on ECI',
      'volume "docker": hostPath is not available on ECI (use emptyDir or NFS)',
      'container "dind": privileged containers are not available on ECI',
      'container "dind": port 10250 is reserved by ECI',
    ]);
    expect(() => createContainerGroupRequest(bad, node)).toThrow(/pod cannot run on ECI: spec.hostNetwork/);
  });

  it("picks the image cache: explicit eci-imc-id, then the node's Ready cache, else automatic matching", () => {
    const images = { [ANNOTATION.cacheImages]: 'node:20' };
    expect(imageCacheParams(images, cacheImagesOf(images), undefined)).toEqual({ AutoMatchImageCache: true });
    expect(imageCacheParams(images, cacheImagesOf(images), 'imc-ready')).toEqual({ ImageSnapshotId: 'imc-ready' });
    expect(imageCacheParams({ ...images, 'k8s.aliyun.com/eci-imc-id': 'imc-mine' }, ['node:20'], 'imc-ready')).toEqual({
      ImageSnapshotId: 'imc-mine',
    });
    expect(imageCacheParams({ 'k8s.aliyun.com/eci-auto-imc': 'true' }, [], undefined)).toEqual({
      AutoMatchImageCache: true,
    });
    expect(imageCacheParams({}, [], undefined)).toEqual({});
    const req = createContainerGroupRequest(prepared({}, images), node, 'imc-ready');
    expect(req).toMatchObject({ ImageSnapshotId: 'imc-ready' });
    expect(req.AutoMatchImageCache).toBeUndefined();
  });

  it('maps the spot annotations to SpotStrategy/SpotPriceLimit/SpotDuration and refuses bad ones up front', () => {
    expect(spotParams({})).toEqual({});
    expect(spotParams({ 'k8s.aliyun.com/eci-spot-strategy': 'SpotAsPriceGo' })).toEqual({
      SpotStrategy: 'SpotAsPriceGo',
    });
    const limited = {
      'k8s.aliyun.com/eci-spot-strategy': 'SpotWithPriceLimit',
      'k8s.aliyun.com/eci-spot-price-limit': '0.25',
      'k8s.aliyun.com/eci-spot-duration': '0',
    };
    expect(flattenParams(createContainerGroupRequest(prepared({}, limited), node))).toMatchObject({
      SpotStrategy: 'SpotWithPriceLimit',
      SpotPriceLimit: '0.25',
      SpotDuration: '0',
    });
    expect(createContainerGroupRequest(prepared(), node).SpotStrategy).toBeUndefined();
    expect(refusals(prepared({}, { 'k8s.aliyun.com/eci-spot-strategy': 'Cheap' }))).toEqual([
      'annotation k8s.aliyun.com/eci-spot-strategy: "Cheap" is not one of NoSpot, SpotAsPriceGo, SpotWithPriceLimit',
    ]);
    expect(() =>
      createContainerGroupRequest(prepared({}, { 'k8s.aliyun.com/eci-spot-strategy': 'SpotWithPriceLimit' }), node),
    ).toThrow(/SpotWithPriceLimit needs k8s.aliyun.com\/eci-spot-price-limit/);
    expect(
      refusals(
        prepared(
          {},
          { ...limited, 'k8s.aliyun.com/eci-spot-price-limit': 'free', 'k8s.aliyun.com/eci-spot-duration': '2' },
        ),
      ),
    ).toEqual([
      'annotation k8s.aliyun.com/eci-spot-price-limit: "free" is not a positive hourly price',
      'annotation k8s.aliyun.com/eci-spot-duration: "2" must be 0 or 1 (protected hours)',
    ]);
  });
});
