import { describe, expect, it } from '@jest/globals';
import { createLogger } from '../../observability/logger.js';
import type { WorkflowJob } from '../github/workflow-job.js';
import { pollQueuedJobs } from './queued-jobs-poller.js';

const job = (id: number, runId: number, repo = 'o/r') => ({ id, runId, repo }) as WorkflowJob;

describe('pollQueuedJobs', () => {
  it('reads at most runsPerRound runs a round, the rest in later rounds', async () => {
    const runs = new Map([
      [10, [job(1, 10)]],
      [20, [job(2, 20)]],
      [30, [job(3, 30), job(4, 30)]],
    ]);
    const reads: number[] = [];
    const rounds: number[][] = [];
    const ac = new AbortController();
    await pollQueuedJobs({
      github: {
        listActiveRunIds: async () => [...runs.keys()],
        listQueuedJobsOfRun: async (_repo, runId) => {
          reads.push(runId);
          return runs.get(runId) ?? [];
        },
      },
      repositories: ['o/r'],
      intervalSeconds: 0,
      runsPerRound: 2,
      log: createLogger({}, { level: 'error' }),
      onQueued: async () => undefined,
      onRound: async (_repo, jobs) => {
        rounds.push(jobs.map((j) => j.id));
        if (rounds.length === 2) ac.abort();
      },
      knownRuns: () => new Set([10]),
      signal: ac.signal,
    });
    // Round 1: the runs nothing is known of (20, 30) first; round 2: 10, then the least recently read (20).
    expect(rounds).toEqual([
      [2, 3, 4],
      [1, 2],
    ]);
    expect(reads).toEqual([20, 30, 10, 20]);
  });
});
