import { describe, expect, it } from '@jest/globals';
import { InvalidInput } from '@eci-virtual/contract';
import { parseControllerConfig } from '../config.js';
import { parseAutopilotConfig, podsAutoMatch } from './autopilot-config.js';

const eci = { region: 'cn-hangzhou', vSwitchId: 'vsw-1', securityGroupId: 'sg-1' };

describe('imageCacheAutopilot config', () => {
  it('is off by default, and the pods then ask for no automatic matching', () => {
    const c = parseControllerConfig(
      { scope: { repositories: ['o/r'] } },
      { GITHUB_TOKEN: 'ghp_x', ECI_VIRTUAL_WEBHOOK_SECRET: 'w' },
    );
    expect(c.imageCacheAutopilot).toMatchObject({ enabled: false, backend: 'eci' });
    expect(c.imageCacheAutopilot.eci).toBeUndefined();
    expect(podsAutoMatch(c)).toBe(false);
  });

  it('applies sensible defaults on ECI: 10 min passes, 7 days, 10 sets / 200 GiB, quota 50', () => {
    const c = parseAutopilotConfig({ enabled: true, eci });
    expect(c).toEqual({
      enabled: true,
      backend: 'eci',
      intervalMs: 600_000,
      windowMs: 7 * 86_400_000,
      budget: { maxSets: 10, maxTotalGiB: 200, maxImagesPerSet: 20, minWeight: 20, minUses: 2 },
      maxChangesPerPass: 10,
      eci: {
        ...eci,
        vpcEndpoint: false,
        cluster: 'eci-virtual',
        quota: 50,
        retentionDays: 7,
        cacheSizeGiB: 20,
      },
    });
    expect(podsAutoMatch({ imageCacheAutopilot: c })).toBe(true);
  });

  it('takes the budget, interval and target from the file; docker pre-pulls and asks for no ECI matching', () => {
    const c = parseAutopilotConfig({
      enabled: true,
      intervalSeconds: '30',
      budget: { maxSets: 3, maxTotalGiB: 60.5 },
      minWeight: 0,
      eci: { ...eci, endpoint: 'http://127.0.0.1:9000/', cluster: 'c1', quota: 5, cacheSizeGiB: 40 },
    });
    expect(c.intervalMs).toBe(30_000);
    expect(c.budget).toMatchObject({ maxSets: 3, maxTotalGiB: 60.5, minWeight: 0 });
    expect(c.eci).toMatchObject({ endpoint: 'http://127.0.0.1:9000', cluster: 'c1', quota: 5, cacheSizeGiB: 40 });
    const d = parseAutopilotConfig({ enabled: true, backend: 'docker' });
    expect(d.docker).toEqual({ host: 'unix:///var/run/docker.sock', quota: 100 });
    expect(d.eci).toBeUndefined();
    expect(podsAutoMatch({ imageCacheAutopilot: d })).toBe(false);
  });

  it.each([
    [{ enabled: 'yes' }, /imageCacheAutopilot.enabled must be true or false, got "yes"/],
    [{ backend: 'ecs' }, /imageCacheAutopilot.backend must be eci or docker, got "ecs"/],
    [{ enabled: true }, /needs imageCacheAutopilot.eci.region, imageCacheAutopilot.eci.vSwitchId, .*securityGroupId/],
    [{ enabled: true, eci: { ...eci, region: 'Hangzhou' } }, /eci.region must be a region id like cn-hangzhou/],
    [{ enabled: true, eci, intervalSeconds: 0 }, /intervalSeconds must be a whole number at least 1, got 0/],
    [{ enabled: true, eci, intervalSeconds: 1.5 }, /intervalSeconds must be a whole number, got 1.5/],
    [{ enabled: true, eci, budget: { maxSets: -1 } }, /budget.maxSets must be a whole number at least 1/],
    [{ enabled: true, eci, budget: { maxTotalGiB: 'lots' } }, /budget.maxTotalGiB must be a number at least 1/],
    [{ enabled: true, eci, budget: [] }, /imageCacheAutopilot.budget must be a mapping/],
    [{ enabled: true, eci: { ...eci, endpoint: 'eci.example' } }, /eci.endpoint must be a URL/],
    [{ enabled: true, eci: { ...eci, cacheSizeGiB: 10 } }, /cacheSizeGiB must be a whole number from 20 to 500/],
    [{ enabled: true, eci: { ...eci, retentionDays: 400 } }, /retentionDays must be a whole number from 1 to 365/],
    [{ enabled: true, backend: 'docker', docker: { host: '/var/run/docker.sock' } }, /docker.host must be unix:/],
  ])('refuses %j with a typed error', (raw, message) => {
    let thrown: unknown;
    try {
      parseAutopilotConfig(raw);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(InvalidInput);
    expect((thrown as Error).message).toMatch(message);
  });
});
