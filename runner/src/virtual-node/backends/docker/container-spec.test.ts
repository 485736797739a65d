import { describe, expect, it } from '@jest/globals';
import type { PreparedPod } from '../backend.js';
import { EMPTYDIR_ROOT, FILES_ROOT, planPod } from './container-spec.js';

const ref = { namespace: 'ci', name: 'job', uid: '0123456789abcdef' };
const prepared = (
  spec: NonNullable<PreparedPod['pod']['spec']>,
  volumes: PreparedPod['volumes'] = [],
  env: PreparedPod['env'] = {},
): PreparedPod => ({
  ref,
  pod: { metadata: { ...ref }, spec },
  env,
  volumes,
  registryAuths: [],
  cacheImages: [],
});
const opts = { nodeName: 'vn', infraImage: 'reg/busybox:latest' };

describe('planPod', () => {
  it('puts containers in the infra network, shares emptyDirs and mounts file volumes read-only', () => {
    const plan = planPod(
      prepared(
        {
          restartPolicy: 'Never',
          initContainers: [{ name: 'setup', image: 'busybox:1', command: ['sh', '-c', 'echo $(GREETING)'] }],
          containers: [
            {
              name: 'main',
              image: 'debian:bookworm',
              args: ['run'],
              workingDir: '/__w',
              resources: { limits: { cpu: '500m', memory: '256Mi' } },
              volumeMounts: [
                { name: 'work', mountPath: '/__w' },
                { name: 'cfg', mountPath: '/etc/cfg' },
              ],
            },
          ],
        },
        [
          { name: 'work', kind: 'emptyDir' },
          { name: 'cfg', kind: 'files', files: [] },
        ],
        { setup: [['GREETING', 'hi']], main: [['A', '1']] },
      ),
      opts,
    );
    // emptyDirs too, so infra opens them to every user (0777) as the kubelet does.
    expect(plan.infra.body.HostConfig.Mounts).toEqual([
      { Type: 'volume', Source: 'evk-0123456789ab-work', Target: `${EMPTYDIR_ROOT}/work`, ReadOnly: false },
      { Type: 'volume', Source: 'evk-0123456789ab-cfg', Target: `${FILES_ROOT}/cfg`, ReadOnly: false },
    ]);
    expect(plan.infra.body.Cmd?.[0]).toContain(`chmod 0777 ${EMPTYDIR_ROOT}/*`);
    const main = plan.app[0]!;
    expect(main.body.HostConfig.NetworkMode).toBe(`container:${plan.infra.name}`);
    expect(main.body.HostConfig.Mounts).toEqual([
      { Type: 'volume', Source: 'evk-0123456789ab-work', Target: '/__w', ReadOnly: false },
      { Type: 'volume', Source: 'evk-0123456789ab-cfg', Target: '/etc/cfg', ReadOnly: true },
    ]);
    expect(main.body).toMatchObject({ Cmd: ['run'], Env: ['A=1'], WorkingDir: '/__w' });
    expect(main.body.Entrypoint).toBeUndefined();
    expect(main.body.HostConfig).toMatchObject({ NanoCpus: 5e8, Memory: 256 * 2 ** 20, RestartPolicy: { Name: 'no' } });
    expect(main.pullPolicy).toBe('IfNotPresent');
    expect(plan.init[0]!.body).toMatchObject({ Entrypoint: ['sh', '-c', 'echo hi'], Cmd: [] });
    expect(plan.volumes.map((v) => v.name)).toEqual(['evk-0123456789ab-work', 'evk-0123456789ab-cfg']);
  });

  it('refuses what a virtual node cannot run', () => {
    expect(() => planPod(prepared({ hostNetwork: true, containers: [{ name: 'a', image: 'x:1' }] }), opts)).toThrow(
      /hostNetwork/,
    );
    expect(() =>
      planPod(prepared({ containers: [{ name: 'a', image: 'x:1', securityContext: { privileged: true } }] }), opts),
    ).toThrow(/privileged/);
    expect(() =>
      planPod(
        prepared({ containers: [{ name: 'a', image: 'x:1', ports: [{ containerPort: 80, hostPort: 80 }] }] }),
        opts,
      ),
    ).toThrow(/hostPort/);
    expect(() =>
      planPod(
        prepared({ containers: [{ name: 'a', image: 'x:1', volumeMounts: [{ name: 'nope', mountPath: '/x' }] }] }),
        opts,
      ),
    ).toThrow(/no matching volume/);
    // NFS: the node refuses it before (DockerBackend has no nfsVolumes); planPod never mounts an empty volume instead.
    expect(() =>
      planPod(
        prepared({ containers: [{ name: 'a', image: 'x:1' }] }, [
          { name: 'share', kind: 'nfs', nfs: { server: 'nas', path: '/ci', readOnly: false } },
        ]),
        opts,
      ),
    ).toThrow(/volume share: nfs volumes are not supported on a virtual node with the docker backend/);
  });

  it('maps restartPolicy Always to an engine restart policy for app containers only', () => {
    const plan = planPod(
      prepared({
        restartPolicy: 'Always',
        initContainers: [{ name: 'i', image: 'x:1' }],
        containers: [{ name: 'a', image: 'x' }],
      }),
      opts,
    );
    expect(plan.app[0]!.body.HostConfig.RestartPolicy).toEqual({ Name: 'always' });
    expect(plan.init[0]!.body.HostConfig.RestartPolicy).toEqual({ Name: 'no' });
    expect(plan.app[0]!.pullPolicy).toBe('Always');
  });
});
