import { describe, expect, it } from '@jest/globals';
import type { GroupMeta } from './create-request.js';
import { until } from './fixtures.js';
import { GroupStore, REALISTIC_DELAYS } from './groups.js';
import { PUBLISHED_RATE_LIMITS, quotaFloorSeconds } from './limits.js';
import type { RuntimeContainer, RuntimeGroup } from './runtime.js';
import { SimulatedRuntime } from './simulated-runtime.js';
import { delaysFor, startDelaySampler } from './start-delays.js';

const meta: GroupMeta = {
  name: 'job-1',
  regionId: 'cn-hangzhou',
  zoneId: 'cn-hangzhou-k',
  securityGroupId: 'sg-1',
  vSwitchId: 'vsw-1',
  restartPolicy: 'Never',
  tags: [],
  autoMatchImageCache: false,
  spotStrategy: 'NoSpot',
};
const container = (name: string): RuntimeContainer => ({
  name,
  image: 'runner:1',
  command: [],
  args: [],
  env: [['JIT', 'abc']],
  stdin: false,
  tty: false,
  ports: [],
  volumeMounts: [],
});
const spec: Omit<RuntimeGroup, 'id'> = {
  name: 'job-1',
  restartPolicy: 'Never',
  initContainers: [container('hooks-init')],
  containers: [container('runner')],
  volumes: [],
  registryCredentials: [],
};

describe('SimulatedRuntime', () => {
  it('takes a group through Scheduling → Pending → Running → Succeeded, telling the simulation when it starts', async () => {
    const started: RuntimeGroup[] = [];
    const runtime = new SimulatedRuntime((g) => started.push(g));
    const store = new GroupStore(runtime, { ...REALISTIC_DELAYS, scheduleMs: 20, pullMs: 20 }, 60_000);
    const g = store.add(meta, spec, undefined);
    expect(g.status).toBe('Scheduling');
    await until(() => g.status === 'Pending');
    await until(() => g.status === 'Running');
    expect(started.map((s) => s.containers[0]!.env)).toEqual([[['JIT', 'abc']]]);
    expect(g.runtime?.initContainers[0]).toMatchObject({ state: 'Terminated', exitCode: 0 });
    expect(g.runtime?.containers[0]).toMatchObject({ state: 'Running' });
    runtime.finish(g.id, 0);
    await store.refresh(g);
    expect(g.status).toBe('Succeeded');
    expect(g.runtime?.containers[0]).toMatchObject({ state: 'Terminated', exitCode: 0, reason: 'Completed' });
    await store.close();
    expect(runtime.size).toBe(0);
  });

  it('answers the same status object until the group starts or finishes, so a refresh has nothing to compare', async () => {
    const runtime = new SimulatedRuntime();
    const store = new GroupStore(runtime, { ...REALISTIC_DELAYS, scheduleMs: 1, pullMs: 1 }, 60_000);
    const g = store.add(meta, spec, undefined);
    await until(() => g.status === 'Running');
    const running = await runtime.status(g.id);
    expect(await runtime.status(g.id)).toBe(running);
    const changedAt = g.changedAt;
    await store.refresh(g);
    expect(g.changedAt).toBe(changedAt);
    runtime.finish(g.id, 0);
    const finished = await runtime.status(g.id);
    expect(finished).not.toBe(running);
    expect(finished?.containers[0]).toMatchObject({ state: 'Terminated', exitCode: 0 });
    await store.close();
  });

  it('ends a group Failed when the simulation finishes it with a non-zero code', async () => {
    const runtime = new SimulatedRuntime();
    const store = new GroupStore(runtime, { ...REALISTIC_DELAYS, scheduleMs: 1, pullMs: 1 }, 60_000);
    const g = store.add(meta, spec, undefined);
    await until(() => g.status === 'Running');
    runtime.finish(g.id, 2);
    await store.refresh(g);
    expect(g.status).toBe('Failed');
    await expect(runtime.exec()).rejects.toThrow(/no processes/);
    await store.close();
  });
});

describe('start delays', () => {
  it('draws a distribution with the configured median and 95th percentile, the same for the same seed', () => {
    const draw = startDelaySampler({ p50Ms: 8_000, p95Ms: 20_000, seed: 7 });
    const xs = Array.from({ length: 20_000 }, draw).sort((a, b) => a - b);
    expect(xs[10_000]! / 8_000).toBeGreaterThan(0.95);
    expect(xs[10_000]! / 8_000).toBeLessThan(1.05);
    expect(xs[19_000]! / 20_000).toBeGreaterThan(0.93);
    expect(xs[19_000]! / 20_000).toBeLessThan(1.07);
    const again = startDelaySampler({ p50Ms: 8_000, p95Ms: 20_000, seed: 7 });
    expect(again()).toBe(startDelaySampler({ p50Ms: 8_000, p95Ms: 20_000, seed: 7 })());
    expect(() => startDelaySampler({ p50Ms: 8, p95Ms: 4 })).toThrow(/p50/);
  });

  it('splits each draw into scheduling and pull; an image-cache hit pulls in cachedPullMs', () => {
    const d = delaysFor({ p50Ms: 1_000, p95Ms: 1_000 }, { scheduleMs: 300, cachedPullMs: 50 });
    expect(d.scheduleMs).toBe(300);
    expect(d.cachedPullMs).toBe(50);
    expect(d.pullMsFor!(['a'])).toBeCloseTo(700);
  });
});

describe('quotaFloorSeconds', () => {
  it('is the published create bucket: 100 at once, then 20/s, and at most 1000 in a minute', () => {
    expect(PUBLISHED_RATE_LIMITS.CreateContainerGroup).toEqual({ burst: 100, perSecond: 20, perMinute: 1000 });
    expect(quotaFloorSeconds('CreateContainerGroup', 100)).toBe(0);
    expect(quotaFloorSeconds('CreateContainerGroup', 1000)).toBe(45);
    // The bucket alone would allow 2000 in 95 s; the minute's 1000 hold call 1001 until 60 s.
    expect(quotaFloorSeconds('CreateContainerGroup', 1001)).toBe(60);
    expect(quotaFloorSeconds('CreateContainerGroup', 2000)).toBe(95);
    expect(quotaFloorSeconds('CreateContainerGroup', 3000)).toBe(145);
  });

  it('counts whole windows for a per-minute quota, and 0 for an unlimited action', () => {
    expect(quotaFloorSeconds('CreateImageCache', 200)).toBe(0);
    expect(quotaFloorSeconds('CreateImageCache', 201)).toBe(60);
    expect(quotaFloorSeconds('DescribeContainerGroupStatus', 10_000)).toBe(0);
  });
});
