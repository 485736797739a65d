import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentialsFrom } from './credentials.js';

describe('Alibaba Cloud credentials', () => {
  it('reads AccessKeys and STS tokens from env', () => {
    expect(
      credentialsFrom({
        ALIBABA_CLOUD_ACCESS_KEY_ID: 'a',
        ALIBABA_CLOUD_ACCESS_KEY_SECRET: 's',
        ALIBABA_CLOUD_SECURITY_TOKEN: 't',
      })(),
    ).toEqual({
      accessKeyId: 'a',
      accessKeySecret: 's',
      securityToken: 't',
    });
    expect(() => credentialsFrom({})()).toThrow(/no Alibaba Cloud credentials/);
  });

  it('re-reads a rotated credentials file', () => {
    const f = join(mkdtempSync(join(tmpdir(), 'eci-cred-')), 'c.json');
    writeFileSync(f, JSON.stringify({ AccessKeyId: 'STS.1', AccessKeySecret: 's1', SecurityToken: 't1' }));
    const get = credentialsFrom({}, f);
    expect(get().accessKeyId).toBe('STS.1');
    writeFileSync(f, JSON.stringify({ AccessKeyId: 'STS.2', AccessKeySecret: 's2' }));
    expect(get()).toEqual({ accessKeyId: 'STS.2', accessKeySecret: 's2' });
    writeFileSync(f, '{}');
    expect(() => get()).toThrow(/lacks AccessKeyId/);
  });
});
