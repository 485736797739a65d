import { describe, expect, it } from '@jest/globals';
import { createLogger } from '../observability/logger.js';
import { durationFlag } from './flags.js';
import { eciBackendFromFlags, imageCacheFromFlags, resolveAddress } from './node-command.js';

describe('node --address', () => {
  const ifaces = {
    lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true }],
    eth0: [
      { address: 'fe80::1', family: 'IPv6', internal: false },
      { address: '10.88.0.7', family: 'IPv4', internal: false },
    ],
  } as unknown as ReturnType<typeof import('node:os').networkInterfaces>;

  it('takes an IP as given and detects one for auto', () => {
    expect(resolveAddress('192.0.2.1', ifaces)).toBe('192.0.2.1');
    expect(resolveAddress('auto', ifaces)).toBe('10.88.0.7');
  });

  it('refuses anything else', () => {
    expect(() => resolveAddress('', ifaces)).toThrow(/IP address or "auto"/);
    expect(() => resolveAddress('$(POD_IP)', ifaces)).toThrow(/\$\(POD_IP\)/);
    expect(() => resolveAddress('auto', { lo: ifaces.lo })).toThrow(/no non-loopback/);
  });
});

describe('node --backend eci', () => {
  const log = createLogger({}, { level: 'error' });
  const flags = { 'eci-region': 'cn-hangzhou', 'eci-vswitch': 'vsw-1', 'eci-security-group': 'sg-1' };
  const env = { ALIBABA_CLOUD_ACCESS_KEY_ID: 'AK', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'SK' };

  it('builds the backend from flags and env credentials', async () => {
    const backend = eciBackendFromFlags(
      { ...flags, 'eci-zone': 'cn-hangzhou-k', 'eci-endpoint': 'http://127.0.0.1:9', pods: '50' },
      'n1',
      log,
      env,
    );
    expect(backend.name).toBe('eci');
    expect((await backend.capacity()).pods).toBe('50');
  });

  it('names the missing flag or credentials', () => {
    expect(() => eciBackendFromFlags({ ...flags, 'eci-region': undefined }, 'n1', log, env)).toThrow(
      /--eci-region is required/,
    );
    expect(() => eciBackendFromFlags({ ...flags, 'eci-vswitch': undefined }, 'n1', log, env)).toThrow(
      /--eci-vswitch is required/,
    );
    expect(() => eciBackendFromFlags({ ...flags, 'eci-security-group': '' }, 'n1', log, env)).toThrow(
      /--eci-security-group is required/,
    );
    expect(() => eciBackendFromFlags({ ...flags, 'eci-endpoint': 'eci.example' }, 'n1', log, env)).toThrow(
      /--eci-endpoint expects a URL/,
    );
    expect(() => eciBackendFromFlags(flags, 'n1', log, {})).toThrow(/no Alibaba Cloud credentials/);
    expect(() => eciBackendFromFlags({ ...flags, 'eci-poll-interval': '500ms' }, 'n1', log, env)).toThrow(
      /--eci-poll-interval must be from 1s to 60s, got "500ms"/,
    );
    expect(() => eciBackendFromFlags({ ...flags, 'eci-poll-interval': 'often' }, 'n1', log, env)).toThrow(
      /--eci-poll-interval expects a duration/,
    );
    expect(eciBackendFromFlags({ ...flags, 'eci-poll-interval': '30s' }, 'n1', log, env).name).toBe('eci');
  });
});

describe('node image cache flags', () => {
  it('defaults to 7 days of retention and a daily refresh', () => {
    expect(imageCacheFromFlags({})).toEqual({ retentionDays: 7, refreshMs: 24 * 3_600_000 });
    expect(imageCacheFromFlags({ 'eci-image-cache-retention-days': '3', 'eci-image-cache-refresh': '1h30m' })).toEqual({
      retentionDays: 3,
      refreshMs: 90 * 60_000,
    });
    expect(imageCacheFromFlags({ 'no-eci-image-cache': true })).toBeUndefined();
  });

  it.each([
    [{ 'eci-image-cache-retention-days': '0' }, /whole number of days from 1 to 365, got "0"/],
    [{ 'eci-image-cache-retention-days': '2.5' }, /retention-days/],
    [{ 'eci-image-cache-refresh': 'daily' }, /expects a duration such as 30m/],
    [{ 'eci-image-cache-refresh': '5m' }, /at least 10m/],
    [{ 'eci-image-cache-retention-days': '1', 'eci-image-cache-refresh': '48h' }, /shorter than the retention/],
    [{ 'no-eci-image-cache': true, 'eci-image-cache-refresh': '12h' }, /cannot be combined/],
  ])('refuses %j', (flags, message) => {
    expect(() => imageCacheFromFlags(flags)).toThrow(message);
  });

  it('parses durations', () => {
    expect(durationFlag('90s', 'x', 0)).toBe(90_000);
    expect(durationFlag('7d', 'x', 0)).toBe(7 * 86_400_000);
    expect(durationFlag(undefined, 'x', 5)).toBe(5);
    expect(() => durationFlag('', 'x', 0)).toThrow(/--x expects a duration/);
    expect(() => durationFlag('10', 'x', 0)).toThrow(/--x expects a duration/);
  });
});
