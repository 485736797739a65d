import { describe, expect, it } from '@jest/globals';
import type { V1Pod } from '@kubernetes/client-node';
import type { PreparedPod } from '../backend.js';
import { flattenParams } from './eci-client.js';
import { createContainerGroupRequest, imageCacheParams, refusals } from './pod-mapping.js';

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
    ],
    registryAuths: [{ registry: 'reg.example.com', username: 'u', password: 'p' }],
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
      'Volume.3.NFSVolume.Server': 'nas.example.com',
      'ImageRegistryCredential.1.Server': 'reg.example.com',
      'Tag.5.Key': 'eci-virtual.dev/uid',
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
    const images = { 'eci-virtual.dev/cache-images': 'node:20' };
    expect(imageCacheParams(images, undefined)).toEqual({ AutoMatchImageCache: true });
    expect(imageCacheParams(images, 'imc-ready')).toEqual({ ImageSnapshotId: 'imc-ready' });
    expect(imageCacheParams({ ...images, 'k8s.aliyun.com/eci-imc-id': 'imc-mine' }, 'imc-ready')).toEqual({
      ImageSnapshotId: 'imc-mine',
    });
    expect(imageCacheParams({ 'k8s.aliyun.com/eci-auto-imc': 'true' }, undefined)).toEqual({
      AutoMatchImageCache: true,
    });
    expect(imageCacheParams({}, undefined)).toEqual({});
    const req = createContainerGroupRequest(prepared({}, images), node, 'imc-ready');
    expect(req).toMatchObject({ ImageSnapshotId: 'imc-ready' });
    expect(req.AutoMatchImageCache).toBeUndefined();
  });
});
