import { describe, expect, it } from '@jest/globals';
import type { V1Pod } from '@kubernetes/client-node';
import { LABEL } from '@eci-virtual/contract';
import { collectGarbage, type GcDeps } from './garbage-collector.js';

const runner = (id: number, jobId: number) => ({
  id,
  name: `eci-virtual-${jobId}`,
  status: 'offline',
  busy: false,
  labels: [],
});

function deps(over: { runners: ReturnType<typeof runner>[]; pods?: () => V1Pod[] }) {
  const deleted: number[] = [];
  const empty = async () => ({ items: [] });
  const d = {
    kube: {
      core: { listNamespacedSecret: empty, listNamespacedServiceAccount: empty },
      rbac: { listNamespacedRole: empty },
    },
    github: {
      listRunners: async () => over.runners,
      deleteRunner: async (_scope: unknown, id: number) => void deleted.push(id),
    },
    config: { namespace: 'ci', runnerScope: { kind: 'repo', repo: 'o/r' } },
    log: { info: () => undefined },
    pruneRecords: async () => 0,
    pods: over.pods ?? (() => []),
    cleanup: async () => undefined,
    isBusy: () => false,
    unbackedRunners: new Map<number, number>(),
  } as unknown as GcDeps;
  return { d, deleted };
}

describe('collectGarbage: runners', () => {
  it('removes a runner no pod, secret or launch backs only after it stayed unbacked for the grace period', async () => {
    const { d, deleted } = deps({ runners: [runner(7, 100)] });
    const t0 = 1_000_000;
    expect((await collectGarbage(d, t0)).runnersRemoved).toBe(0);
    expect((await collectGarbage(d, t0 + 60_000)).runnersRemoved).toBe(0);
    expect(deleted).toEqual([]);
    expect((await collectGarbage(d, t0 + 121_000)).runnersRemoved).toBe(1);
    expect(deleted).toEqual([7]);
    expect(d.unbackedRunners.size).toBe(0);
  });

  it('keeps a runner whose pod appears after the pass began (a launch that just ended), and forgets it', async () => {
    const pods: V1Pod[] = [];
    const { d, deleted } = deps({ runners: [runner(8, 200)], pods: () => pods });
    await collectGarbage(d, 0);
    expect(d.unbackedRunners.has(8)).toBe(true);
    pods.push({ metadata: { labels: { [LABEL.jobId]: '200' } } });
    await collectGarbage(d, 200_000);
    expect(deleted).toEqual([]);
    expect(d.unbackedRunners.size).toBe(0);
  });
});
