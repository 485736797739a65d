/**
 * The shared virtual-node suite on `--backend eci`, against the ECI emulator (runner/test/eci-emulator: signed RPC,
 * parameter limits, quotas, rate limits, the group state machine) whose container groups really run on Podman through
 * the docker backend — so `kubectl logs -f` and `kubectl exec` show real output. Then what only ECI has: throttling
 * retried without a second group, quota exhaustion as a Failed pod with the reason, features ECI refuses rejected
 * before any API call, status from batch polls only, NFS volumes (the emulator backs each export with one directory)
 * and OOM kills reported as ECI reports them (OOMKilled, and an OOMKilling event copied to the pod).
 */
import { expect, it } from '@jest/globals';
import { CACHE_IMAGES_ANNOTATION } from '@eci-virtual/contract';
import { TAG } from '../../src/virtual-node/backends/eci/pod-mapping.js';
import { eventually } from '../harness/kube.js';
import { kubectl } from '../harness/kubectl.js';
import { startEmulatorOnEngine } from '../eci-emulator/on-engine.js';
import type { EciEmulator } from '../eci-emulator/server.js';
import { describeVirtualNode } from './virtual-node-suite.js';

let emu: EciEmulator;

const groupsOf = (ns: string, podName: string) =>
  emu.groups.all().filter((g) => tag(g.meta.tags, TAG.namespace) === ns && tag(g.meta.tags, TAG.name) === podName);
const tag = (tags: { Key: string; Value: string }[], key: string) => tags.find((t) => t.Key === key)?.Value;

describeVirtualNode({
  name: 'eci',
  start: async (env) => {
    const started = await startEmulatorOnEngine({
      dockerHost: env.engine.dockerHost,
      infraImage: env.engine.images.busybox,
      // Scheduling and pulls take time on ECI; shorter here so the suite stays quick, long enough to see each state.
      delays: { scheduleMs: 300, pullMs: 400, cachedPullMs: 100, imageCacheMs: 1_500 },
    });
    emu = started.emu;
    return { args: started.nodeArgs, env: started.nodeEnv };
  },
  stop: async () => emu?.stop(),
  objectsOf: async (ns, podName) => groupsOf(ns, podName).length,
  objectsPerPod: 1,
  attach: false,
  extra: ({ env, ns, nodeName, pod, create, phase }) => {
    it('tags each group with its pod and node, places it by the node config, and polls status in batches only', async () => {
      const ok = await phase('ok', ['Succeeded']);
      const [group, more] = groupsOf(ns(), 'ok');
      expect(more).toBeUndefined();
      expect(group?.meta.tags).toEqual(
        expect.arrayContaining([
          { Key: TAG.cluster, Value: 'it' },
          { Key: TAG.node, Value: nodeName() },
          { Key: TAG.uid, Value: ok.metadata!.uid! },
        ]),
      );
      expect([group?.meta.vSwitchId, group?.meta.securityGroupId]).toEqual(['vsw-test', 'sg-test']);
      // Status: pages of starting groups by id, and one "what changed since" call for the whole node — never per pod.
      const statusCalls = emu.calls.filter((c) => c.action === 'DescribeContainerGroupStatus');
      expect(statusCalls.length).toBeGreaterThan(0);
      for (const c of statusCalls) {
        expect(c.params.SinceSecond).toBeDefined();
        expect(Object.keys(c.params).filter((k) => k.startsWith('ContainerGroupIds'))).toEqual([]);
      }
      const byId = emu.calls.filter((c) => c.action === 'DescribeContainerGroups');
      expect(byId.every((c) => c.status === 200)).toBe(true);
      // No call was refused for its signature. The emulator answers those with HTTP 400, as the OpenAPI gateway does
      // for V3 requests (some products document 403); match the code whatever the status, and show both.
      const authCode =
        /^(SignatureDoesNotMatch|IncompleteSignature|SignatureNonceUsed|MissingSignatureNonce|InvalidTimeStamp|InvalidAccessKeyId)/;
      expect(
        emu.calls.filter((c) => authCode.test(c.code ?? '')).map((c) => `${c.action}: HTTP ${c.status} ${c.code}`),
      ).toEqual([]);
    });

    it('retries throttled creates with backoff and creates the group exactly once', async () => {
      const before = emu.count('CreateContainerGroup');
      emu.injectFault({ action: 'CreateContainerGroup', code: 'Throttling.User', status: 400, times: 2 });
      await create(pod('throttled', [{ name: 'main', command: ['sh', '-c', 'echo ok'] }]));
      expect((await phase('throttled', ['Succeeded', 'Failed'])).status?.phase).toBe('Succeeded');
      expect(emu.count('CreateContainerGroup') - before).toBe(3);
      expect(groupsOf(ns(), 'throttled')).toHaveLength(1);
    });

    it('spends exactly one ExecContainerCommand per `kubectl exec`', async () => {
      await create(pod('one-exec', [{ name: 'main', command: ['sleep', '120'] }]));
      await phase('one-exec', ['Running']);
      const before = emu.count('ExecContainerCommand');
      const refusedBefore = emu.count('ExecContainerCommand', 400);
      const res = await kubectl(['-n', ns(), 'exec', 'one-exec', '--', 'echo', 'once']);
      expect([res.code, res.stdout]).toEqual([0, 'once\n']);
      expect(emu.count('ExecContainerCommand') - before).toBe(1);
      expect(emu.count('ExecContainerCommand', 400)).toBe(refusedBefore); // not throttled or refused
    });

    it('ends the pod of a ScheduleFailed group with the reason within 10 s', async () => {
      emu.injectScheduleFailure('NoStock', 'the zone has no stock of ecs.c6.large');
      const created = Date.now();
      await create(pod('unschedulable', [{ name: 'main', command: ['sh', '-c', 'echo never'] }]));
      const failed = await phase('unschedulable', ['Failed', 'Succeeded', 'Running'], 10_000);
      expect(Date.now() - created).toBeLessThan(10_000);
      expect(failed.status?.phase).toBe('Failed');
      expect(failed.status?.reason).toBe('ScheduleFailed');
      expect(failed.status?.message).toContain('NoStock: the zone has no stock of ecs.c6.large');
      const events = await eventually('the NoStock event on the pod', async () => {
        const res = await kubectl([
          '-n',
          ns(),
          'get',
          'events',
          '--field-selector',
          'involvedObject.name=unschedulable',
        ]);
        return res.stdout.includes('NoStock') ? res.stdout : undefined;
      });
      expect(events).toContain('no stock');
    });

    it('fails a pod with the quota reason when the account has no container groups left', async () => {
      emu.injectFault({ action: 'CreateContainerGroup', code: 'QuotaExceed.ContainerGroupQuotaExceed', status: 403 });
      await create(pod('over-quota', [{ name: 'main', command: ['true'] }]));
      const p = await phase('over-quota', ['Failed']);
      expect(p.status?.reason).toBe('ECIQuotaExceeded');
      expect(p.status?.message).toMatch(/quota/i);
      expect(groupsOf(ns(), 'over-quota')).toHaveLength(0);
    });

    it('keeps one ECI image cache for the settings images and starts later pods from it', async () => {
      const cachedPod = (name: string) => {
        const p = pod(name, [{ name: 'main', command: ['true'] }]);
        p.metadata!.annotations = {
          [CACHE_IMAGES_ANNOTATION]: env().engine.images.busybox,
          'k8s.aliyun.com/eci-auto-imc': 'true',
        };
        return p;
      };
      await create(cachedPod('imc-first'));
      await create(cachedPod('imc-second'));
      expect((await phase('imc-first', ['Succeeded', 'Failed'])).status?.phase).toBe('Succeeded');
      // One cache for the set, however many pods asked for it, created with the node's network and cluster tag.
      const cache = await eventually('the image cache to be Ready', async () => {
        const all = [...emu.imageCaches.caches.values()];
        return all.length === 1 && all[0]!.status === 'Ready' ? all[0] : undefined;
      });
      expect(cache.images).toEqual([env().engine.images.busybox]);
      expect(cache.name).toMatch(/^eci-virtual-[0-9a-f]{12}$/);
      expect(emu.count('CreateImageCache', 200)).toBe(1);
      await create(cachedPod('imc-later'));
      expect((await phase('imc-later', ['Succeeded', 'Failed'])).status?.phase).toBe('Succeeded');
      const [later] = groupsOf(ns(), 'imc-later');
      expect(later?.events.map((e) => e.Reason)).toContain('SuccessfulHitImageCache');
    });

    it('OOM-kills a container that outgrows its memory limit: OOMKilled (137) and an OOM event on the pod', async () => {
      await create(
        pod('oom', [
          {
            name: 'main',
            // dd fills a 256 MiB buffer from /dev/zero: far past the 32 MiB the group's container is given.
            command: ['sh', '-c', 'sleep 1; exec dd if=/dev/zero of=/dev/null bs=256M count=1'],
            resources: { requests: { memory: '32Mi' }, limits: { memory: '32Mi' } },
          },
        ]),
      );
      const p = await phase('oom', ['Succeeded', 'Failed']);
      expect(p.status?.phase).toBe('Failed');
      expect(p.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({ reason: 'OOMKilled', exitCode: 137 });
      const [group] = groupsOf(ns(), 'oom');
      expect(group?.spec.containers[0]?.memoryGiB).toBe(0.031); // 32Mi, as CreateContainerGroup's Container.N.Memory
      expect(group?.events.filter((e) => e.Reason === 'OOMKilling')).toHaveLength(1);
      // The group's OOMKilling event, copied once to the pod's Events and pointing at the container.
      const oom = await eventually('an OOM event on pod oom', async () => {
        const res = await kubectl([
          '-n',
          ns(),
          'get',
          'events',
          '--field-selector',
          'involvedObject.name=oom',
          '-o',
          'json',
        ]);
        const items = (
          JSON.parse(res.stdout) as {
            items: { type?: string; reason?: string; message?: string; involvedObject: { fieldPath?: string } }[];
          }
        ).items.filter((e) => /OOM/.test(e.reason ?? ''));
        return items.length ? items : undefined;
      });
      expect(oom).toHaveLength(1);
      expect(oom[0]).toMatchObject({
        type: 'Warning',
        reason: 'OOMKilling',
        message: expect.stringMatching(/out of memory.*container main \(memory limit 32 MiB\)/),
        involvedObject: { fieldPath: 'spec.containers{main}' },
      });
    });

    it('mounts NFS volumes: pods that mount the same export share its files, read-only where asked', async () => {
      const share = { server: 'nas-test.example.com', path: `/exports/${ns()}` };
      const mounted = (name: string, command: string, readOnly: boolean) =>
        pod(
          name,
          [{ name: 'main', command: ['sh', '-c', command], volumeMounts: [{ name: 'share', mountPath: '/share' }] }],
          {
            volumes: [{ name: 'share', nfs: { ...share, readOnly } }],
          },
        );
      await create(mounted('nfs-writer', 'echo from-writer > /share/file', false));
      expect((await phase('nfs-writer', ['Succeeded', 'Failed'])).status?.phase).toBe('Succeeded');
      await create(
        mounted(
          'nfs-reader',
          'cat /share/file; if { echo x > /share/other; } 2>/dev/null; then echo writable; fi',
          true,
        ),
      );
      expect((await phase('nfs-reader', ['Succeeded', 'Failed'])).status?.phase).toBe('Succeeded');
      const logs = await kubectl(['-n', ns(), 'logs', 'nfs-reader']);
      expect(logs.stdout).toBe('from-writer\n');
      const [reader] = groupsOf(ns(), 'nfs-reader');
      // (next to the service-account token's ConfigFile volume)
      expect(reader?.spec.volumes.filter((v) => v.name === 'share')).toEqual([
        { name: 'share', type: 'NFSVolume', nfs: { ...share, readOnly: true } },
      ]);
    });

    it('refuses hostPath volumes and the ports ECI reserves before any ECI call, with the reason on the pod', async () => {
      // (privileged pods are already refused by the API server's own policy in this cluster)
      const before = emu.count('CreateContainerGroup');
      await create(
        pod('hostpath', [{ name: 'main', command: ['true'], volumeMounts: [{ name: 'h', mountPath: '/h' }] }], {
          volumes: [{ name: 'h', hostPath: { path: '/etc' } }],
        }),
      );
      await create(pod('port10250', [{ name: 'main', command: ['true'], ports: [{ containerPort: 10250 }] }]));
      const hp = await phase('hostpath', ['Failed']);
      expect(hp.status?.message).toMatch(/hostPath volumes are not supported on a virtual node/);
      const port = await phase('port10250', ['Failed']);
      expect(port.status?.message).toMatch(/10250/);
      expect(emu.count('CreateContainerGroup')).toBe(before);
    });
  },
});
