import { describe, expect, it } from '@jest/globals';
import { createLogger } from '../../observability/logger.js';
import { SqlJobHistory } from '../history/sql-job-history.js';
import { SqliteDriver } from '../history/sqlite-driver.js';
import { DecisionLog, type LoggedDecision } from './decision-log.js';
import { DecisionStore } from './decision-store.js';

const log = createLogger({}, { level: 'error' });
const T = Date.parse('2026-03-01T10:00:00Z');

const keep = (pass: number): LoggedDecision => ({
  action: 'keep',
  reason: 'serves a hot set',
  repo: 'o/a',
  setId: 'imc-1',
  name: 'eci-virtual-auto-1',
  images: ['node:20'],
  at: T + pass * 60_000,
  pass,
  outcome: 'noop',
});

describe('autopilot decisions kept in the job history', () => {
  it("is what every replica's portal reads: the leader's decisions, folded repeats rewritten, newest first", async () => {
    const history = await SqlJobHistory.open(SqliteDriver.open(':memory:'), { vcpuSecondUsd: 1, gibSecondUsd: 1 });
    try {
      const leader = new DecisionStore({ history, identity: 'ctl-0', log, now: () => T });
      const decisions = new DecisionLog(1000, leader.record);
      decisions.add({
        action: 'create',
        reason: 'hot, and no set holds all 1 of its images',
        repo: 'o/a',
        name: 'eci-virtual-auto-1',
        images: ['node:20'],
        at: T,
        pass: 1,
        outcome: 'done',
        createdId: 'imc-1',
      });
      decisions.add({ ...keep(1), repo: 'o/b', at: T }); // another repository
      for (const pass of [2, 3, 4]) decisions.add(keep(pass));
      await leader.flush();
      // A follower (its own store, never recording) reads the same rows.
      const follower = new DecisionStore({ history, identity: 'ctl-1', log });
      const seen = await follower.list('o/a');
      expect(seen.map((d) => [d.action, d.pass, d.repeats ?? 0])).toEqual([
        ['keep', 2, 2],
        ['create', 1, 0],
      ]);
      expect(seen[0]!.lastAt).toBe(T + 4 * 60_000);
      expect(seen[1]!.createdId).toBe('imc-1');
      expect((await follower.list('o/a', 1)).map((d) => d.action)).toEqual(['keep']);
      expect((await follower.list('o/b')).map((d) => d.repo)).toEqual(['o/b']);
      // Retention takes decisions older than the cut with the jobs.
      await history.prune(T + 60_000);
      expect((await follower.list('o/a')).map((d) => d.action)).toEqual(['keep']);
    } finally {
      await history.close();
    }
  });

  it('never fails a pass when the database refuses: the write is dropped (the in-memory log keeps it)', async () => {
    const store = new DecisionStore({
      history: {
        putDecisions: () => Promise.reject(new Error('database is locked')),
        decisions: () => Promise.resolve([]),
      },
      identity: 'ctl-0',
      log,
    });
    store.record(keep(1));
    await expect(store.flush()).resolves.toBeUndefined();
  });
});
