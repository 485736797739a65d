/**
 * The shared virtual-node suite on `--backend eci`, against the ECI emulator (runner/test/eci-emulator: signed RPC,
 * parameter limits, quotas, rate limits, the group state machine) whose container groups really run on Podman through
 * the docker backend — so `kubectl logs -f` and `kubectl exec` show real output. Then what only ECI has: throttling
 * retried without a second group, quota exhaustion as a Failed pod with the reason, features ECI refuses rejected
 * before any API call, and status from batch polls only.
 */
import { expect, it } from '@jest/globals';
import { TAG } from '../../src/virtual-node/backends/eci/pod-mapping.js';
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
      delays: { scheduleMs: 300, pullMs: 400, cachedPullMs: 100 },
    });
    emu = started.emu;
    return { args: started.nodeArgs, env: started.nodeEnv };
  },
  stop: async () => emu?.stop(),
  objectsOf: async (ns, podName) => groupsOf(ns, podName).length,
  objectsPerPod: 1,
  attach: false,
  extra: ({ ns, nodeName, pod, create, phase }) => {
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
      expect(emu.calls.filter((c) => c.status === 403 && /Signature/.test(c.code ?? ''))).toEqual([]);
    });

    it('retries throttled creates with backoff and creates the group exactly once', async () => {
      const before = emu.count('CreateContainerGroup');
      emu.injectFault({ action: 'CreateContainerGroup', code: 'Throttling.User', status: 400, times: 2 });
      await create(pod('throttled', [{ name: 'main', command: ['sh', '-c', 'echo ok'] }]));
      expect((await phase('throttled', ['Succeeded', 'Failed'])).status?.phase).toBe('Succeeded');
      expect(emu.count('CreateContainerGroup') - before).toBe(3);
      expect(groupsOf(ns(), 'throttled')).toHaveLength(1);
    });

    it('fails a pod with the quota reason when the account has no container groups left', async () => {
      emu.injectFault({ action: 'CreateContainerGroup', code: 'QuotaExceed.ContainerGroupQuotaExceed', status: 403 });
      await create(pod('over-quota', [{ name: 'main', command: ['true'] }]));
      const p = await phase('over-quota', ['Failed']);
      expect(p.status?.reason).toBe('ECIQuotaExceeded');
      expect(p.status?.message).toMatch(/quota/i);
      expect(groupsOf(ns(), 'over-quota')).toHaveLength(0);
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
