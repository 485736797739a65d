import { describe, expect, it } from '@jest/globals';
import type { V1Pod } from '@kubernetes/client-node';
import { ANNOTATION, LABEL } from '@eci-virtual/contract';
import { milestones, PodIndex } from './pod-tracker.js';

const pod = (name: string, job: string, repo: string, node?: string): V1Pod => ({
  metadata: { name, labels: { [LABEL.jobId]: job }, annotations: { [ANNOTATION.repository]: repo } },
  spec: { containers: [{ name: 'runner' }], ...(node ? { nodeName: node } : {}) },
});

describe('PodIndex', () => {
  it('answers by name, job, repository and node, following updates and deletes', () => {
    const index = new PodIndex();
    index.put(pod('eci-job-1', '1', 'o/a'));
    index.put(pod('eci-job-1-2', '1', 'o/a'));
    index.put(pod('eci-job-2', '2', 'o/b', 'vn-1'));
    expect(index.size).toBe(3);
    expect(index.ofJob('1').map((p) => p.metadata?.name)).toEqual(['eci-job-1', 'eci-job-1-2']);
    expect(index.inRepo('o/a')).toBe(2);
    expect(index.perNode().get('vn-1')).toBe(1);

    // Bound to a node by an update: counted on that node once, not twice.
    index.put(pod('eci-job-1', '1', 'o/a', 'vn-1'));
    index.put(pod('eci-job-1', '1', 'o/a', 'vn-1'));
    expect(index.perNode().get('vn-1')).toBe(2);
    expect(index.inRepo('o/a')).toBe(2);
    expect(index.size).toBe(3);

    index.remove(pod('eci-job-1', '1', 'o/a'));
    expect(index.get('eci-job-1')).toBeUndefined();
    expect(index.ofJob('1').map((p) => p.metadata?.name)).toEqual(['eci-job-1-2']);
    expect(index.perNode().get('vn-1')).toBe(1);
    index.remove(pod('eci-job-1-2', '1', 'o/a'));
    expect(index.ofJob('1')).toEqual([]);
    expect(index.inRepo('o/a')).toBe(0);
    // Removing what is not there changes nothing.
    index.remove(pod('eci-job-9', '9', 'o/a'));
    expect(index.size).toBe(1);
  });

  it('lists the same array until something changes', () => {
    const index = new PodIndex();
    index.put(pod('eci-job-1', '1', 'o/a'));
    const first = index.all();
    expect(index.all()).toBe(first);
    index.put(pod('eci-job-2', '2', 'o/a'));
    expect(index.all()).not.toBe(first);
    expect(index.all()).toHaveLength(2);
  });
});

describe('milestones', () => {
  it('is read once per pod object and again for an updated one', () => {
    const p = pod('eci-job-1', '1', 'o/a');
    expect(milestones(p)).toBe(milestones(p));
    const running: V1Pod = {
      ...p,
      status: { containerStatuses: [{ name: 'runner', state: { running: { startedAt: new Date(0) } } } as never] },
    };
    expect(milestones(running).runningAt).toBe(new Date(0).toISOString());
    expect(milestones(p).runningAt).toBeUndefined();
  });
});
