import { describe, expect, it } from '@jest/globals';
import { parseControllerConfig } from './config.js';

const env = { GITHUB_TOKEN: 'ghp_x', ECI_VIRTUAL_WEBHOOK_SECRET: 'w' };

describe('controller config', () => {
  it('applies defaults for a repository runner with a token', () => {
    const c = parseControllerConfig({ scope: { repositories: ['o/r'] } }, env);
    expect(c).toMatchObject({
      apiUrl: 'https://api.github.com',
      auth: { kind: 'token', token: 'ghp_x' },
      runnerScope: { kind: 'repo', repo: 'o/r' },
      labels: ['eci-virtual'],
      namespace: 'eci-jobs',
      maxConcurrentJobs: 50,
      placement: { nodeType: 'virtual', cpu: '1', memory: '2Gi' },
    });
  });

  it('polls every 30 s, reading at most 100 runs a round per repository unless told otherwise', () => {
    const repos = { scope: { repositories: ['o/r'] } };
    expect(parseControllerConfig(repos, env)).toMatchObject({ pollIntervalSeconds: 30, pollRunsPerRound: 100 });
    expect(parseControllerConfig({ ...repos, pollRunsPerRound: 20 }, env).pollRunsPerRound).toBe(20);
    expect(() => parseControllerConfig({ ...repos, pollRunsPerRound: 0 }, env)).toThrow(
      /pollRunsPerRound must be a positive integer, got 0/,
    );
  });

  it('elects a leader by default (lease 10 s, renew 7 s, retry 2 s), named by the pod', () => {
    const c = parseControllerConfig({ scope: { repositories: ['o/r'] } }, { ...env, POD_NAME: 'ctl-7d9f-x2' });
    expect(c.leaderElection).toEqual({
      enabled: true,
      leaseName: 'eci-virtual-controller',
      identity: 'ctl-7d9f-x2',
      timing: { leaseDurationMs: 10_000, renewDeadlineMs: 7_000, retryPeriodMs: 2_000 },
    });
    expect(c.deliveryTtlMinutes).toBe(60);
    const custom = parseControllerConfig(
      {
        scope: { repositories: ['o/r'] },
        leaderElection: { identity: 'a', leaseDurationSeconds: 20, renewDeadlineSeconds: 15, retryPeriodSeconds: 4 },
      },
      env,
    );
    expect(custom.leaderElection.timing).toEqual({
      leaseDurationMs: 20_000,
      renewDeadlineMs: 15_000,
      retryPeriodMs: 4_000,
    });
    // Without a pod name, replicas on one host still differ.
    const [x, y] = [1, 2].map(() => parseControllerConfig({ scope: { repositories: ['o/r'] } }, env));
    expect(x!.leaderElection.identity).not.toBe(y!.leaderElection.identity);
    expect(() =>
      parseControllerConfig(
        { scope: { repositories: ['o/r'] }, leaderElection: { leaseDurationSeconds: 5, renewDeadlineSeconds: 7 } },
        env,
      ),
    ).toThrow(/leaseDurationSeconds must be greater than renewDeadlineSeconds/);
  });

  it('keeps the job history in SQLite by default and takes PostgreSQL credentials from a Secret only', () => {
    const raw = { scope: { repositories: ['o/r'] } };
    expect(parseControllerConfig(raw, env).history).toEqual({
      driver: 'sqlite',
      retentionDays: 90,
      sqlite: { path: '/var/lib/eci-virtual/history/jobs.db' },
      postgres: { url: '' },
    });
    const pg = parseControllerConfig(
      { ...raw, history: { driver: 'postgres', retentionDays: 30 } },
      { ...env, ECI_VIRTUAL_HISTORY_URL: 'postgresql://eci@db:5432/eci', ECI_VIRTUAL_HISTORY_PASSWORD: 'pw' },
    );
    expect(pg.history).toMatchObject({ driver: 'postgres', retentionDays: 30 });
    expect(pg.history.postgres).toEqual({ url: 'postgresql://eci@db:5432/eci', password: 'pw' });
    expect(() => parseControllerConfig({ ...raw, history: { driver: 'postgres' } }, env)).toThrow(/no connection URL/);
    expect(() => parseControllerConfig({ ...raw, history: { driver: 'mysql' } }, env)).toThrow(/sqlite or postgres/);
    expect(() =>
      parseControllerConfig(
        { ...raw, history: { driver: 'postgres' } },
        { ...env, ECI_VIRTUAL_HISTORY_URL: 'db:5432' },
      ),
    ).toThrow(/postgres:\/\//);
    expect(() => parseControllerConfig({ ...raw, history: { retentionDays: 0 } }, env)).toThrow(/retentionDays/);
  });

  it('prefers a GitHub App and supports org scope on GHES', () => {
    const c = parseControllerConfig(
      {
        github: { apiUrl: 'https://ghe.example.com/api/v3', appId: 12, installationId: 34 },
        scope: { org: 'acme', repositories: ['acme/a', 'acme/b'] },
      },
      { ...env, GITHUB_APP_PRIVATE_KEY: 'KEY' },
    );
    expect(c.auth).toEqual({ kind: 'app', appId: '12', installationId: '34', privateKey: 'KEY' });
    expect(c.runnerScope).toEqual({ kind: 'org', org: 'acme' });
    expect(c.repositories).toEqual(['acme/a', 'acme/b']);
  });

  it.each([
    [{ scope: { repositories: ['o/r'] } }, {}, /no GitHub credentials/],
    [{ scope: { repositories: ['o/r'] } }, { GITHUB_TOKEN: 't' }, /no webhook secret/],
    [{ scope: {} }, env, /scope needs/],
    [{ scope: { repositories: ['nope'] } }, env, /not owner\/name/],
    [{ scope: { repositories: ['o/r'] }, maxConcurrentJobs: -1 }, env, /maxConcurrentJobs must be a positive integer/],
    [{ scope: { repositories: ['o/r'] }, placement: { nodeType: 'gpu' } }, env, /placement.nodeType/],
    [{ scope: { repositories: ['o/r'] }, github: { appId: 1 } }, env, /installationId/],
    [{ scope: { repositories: ['o/r'] }, github: { apiUrl: 'ftp://x' } }, env, /http\(s\) URL/],
  ])('rejects bad config %#', (raw, e, message) => {
    expect(() => parseControllerConfig(raw, e as NodeJS.ProcessEnv)).toThrow(message);
  });
});
