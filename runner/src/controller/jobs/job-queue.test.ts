import { describe, expect, it } from '@jest/globals';
import type { WorkflowJob } from '../github/workflow-job.js';
import { FairJobQueue } from './job-queue.js';

const job = (id: number, repo: string) => ({ id, repo }) as WorkflowJob;

describe('FairJobQueue', () => {
  it('alternates between repositories, FIFO within one', () => {
    const q = new FairJobQueue();
    [job(1, 'a/x'), job(2, 'a/x'), job(3, 'a/x'), job(4, 'b/y'), job(5, 'c/z')].forEach((j) => q.push(j));
    const order = [];
    for (let j = q.next(() => 0, 10); j; j = q.next(() => 0, 10)) order.push(j.id);
    expect(order).toEqual([1, 4, 5, 2, 3]);
  });

  it('skips repositories at their cap and dedupes', () => {
    const q = new FairJobQueue();
    expect(q.push(job(1, 'a/x'))).toBe(true);
    expect(q.push(job(1, 'a/x'))).toBe(false);
    q.push(job(2, 'b/y'));
    expect(q.next((r) => (r === 'a/x' ? 2 : 0), 2)?.id).toBe(2);
    expect(q.next((r) => (r === 'a/x' ? 2 : 0), 2)).toBeUndefined();
    expect(q.size).toBe(1);
    expect(q.remove(1)).toBe(true);
    expect(q.size).toBe(0);
    expect(q.next(() => 0, 2)).toBeUndefined();
  });
});
