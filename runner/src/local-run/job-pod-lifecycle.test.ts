import { describe, expect, it } from '@jest/globals';
import { jobPodName, splitSecretEnv } from './job-pod-lifecycle.js';

describe('job pod', () => {
  it('names the pod after the job id as a DNS label, at most 40 characters of it', () => {
    expect(jobPodName('Build_And Test', 'a1b2c3')).toBe('eci-build-and-test-a1b2c3');
    expect(jobPodName('x--y-', 'a1b2c3')).toBe('eci-x-y-a1b2c3');
    expect(jobPodName('a'.repeat(60), 'a1b2c3')).toBe(`eci-${'a'.repeat(40)}-a1b2c3`);
    expect(jobPodName('job')).toMatch(/^eci-job-[0-9a-f]{6}$/);
  });

  it('keeps every env value that contains a secret out of the shared env', () => {
    const env: [string, string][] = [
      ['A', 'plain'],
      ['B', 'Bearer s3cret'],
      ['C', ''],
    ];
    expect(splitSecretEnv(env, { TOKEN: 's3cret', EMPTY: '' })).toEqual({
      shared: [
        ['A', 'plain'],
        ['C', ''],
      ],
      secret: [['B', 'Bearer s3cret']],
    });
    expect(splitSecretEnv(env)).toEqual({ shared: env, secret: [] });
  });
});
