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
