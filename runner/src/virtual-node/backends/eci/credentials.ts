/**
 * Alibaba Cloud credentials for the ECI client, from the environment (ALIBABA_CLOUD_ACCESS_KEY_ID/SECRET, optional
 * ALIBABA_CLOUD_SECURITY_TOKEN for STS / RAM roles) or from a credentials file whose JSON is
 * `{"AccessKeyId","AccessKeySecret","SecurityToken"?}` — the shape of an STS AssumeRole result, re-read on every
 * call so a sidecar can rotate it. Values never reach logs.
 */
import { readFileSync } from 'node:fs';
import { InvalidInput } from '../../../errors.js';
import type { Credentials } from './signer.js';

export function credentialsFrom(
  env: NodeJS.ProcessEnv = process.env,
  file = env.ALIBABA_CLOUD_CREDENTIALS_FILE,
): () => Credentials {
  return () => {
    if (file) {
      let raw: { AccessKeyId?: string; AccessKeySecret?: string; SecurityToken?: string };
      try {
        raw = JSON.parse(readFileSync(file, 'utf8')) as typeof raw;
      } catch (err) {
        throw new InvalidInput(`cannot read Alibaba Cloud credentials from ${file}: ${(err as Error).message}`);
      }
      if (!raw.AccessKeyId || !raw.AccessKeySecret) throw new InvalidInput(`${file} lacks AccessKeyId/AccessKeySecret`);
      return {
        accessKeyId: raw.AccessKeyId,
        accessKeySecret: raw.AccessKeySecret,
        ...(raw.SecurityToken ? { securityToken: raw.SecurityToken } : {}),
      };
    }
    const id = env.ALIBABA_CLOUD_ACCESS_KEY_ID;
    const secret = env.ALIBABA_CLOUD_ACCESS_KEY_SECRET;
    if (!id || !secret)
      throw new InvalidInput('no Alibaba Cloud credentials', {
        hint: 'set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or ALIBABA_CLOUD_CREDENTIALS_FILE',
      });
    return {
      accessKeyId: id,
      accessKeySecret: secret,
      ...(env.ALIBABA_CLOUD_SECURITY_TOKEN ? { securityToken: env.ALIBABA_CLOUD_SECURITY_TOKEN } : {}),
    };
  };
}
