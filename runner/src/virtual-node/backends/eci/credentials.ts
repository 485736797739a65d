/**
 * Alibaba Cloud credentials for the ECI client, from the environment (ALIBABA_CLOUD_ACCESS_KEY_ID/SECRET, optional
 * ALIBABA_CLOUD_SECURITY_TOKEN for STS / RAM roles) or from a credentials file whose JSON is
 * `{"AccessKeyId","AccessKeySecret","SecurityToken"?}` — the shape of an STS AssumeRole result, re-read on every
 * call so a sidecar can rotate it. Values never reach logs.
 */
import { readFileSync } from 'node:fs';
import { InvalidInput } from '@eci-virtual/contract';
import { ecsRoleCredentials } from './ecs-role-credentials.js';
import type { Credentials } from './signer.js';

const truthy = (v: string | undefined) => /^(1|true)$/i.test(v ?? '');

/**
 * The node's credential chain: a credentials file, else an AccessKey pair (+ STS token) in the environment, else the
 * ECS instance's RAM role (`ALIBABA_CLOUD_ECS_METADATA=<role>`, unless ALIBABA_CLOUD_ECS_METADATA_DISABLED).
 */
export function credentialProvider(
  env: NodeJS.ProcessEnv = process.env,
  metadataEndpoint?: string,
): { get: () => Credentials | Promise<Credentials>; source: 'file' | 'env' | 'ecs-ram-role' | 'none' } {
  if (env.ALIBABA_CLOUD_CREDENTIALS_FILE) return { get: credentialsFrom(env), source: 'file' };
  if (env.ALIBABA_CLOUD_ACCESS_KEY_ID || env.ALIBABA_CLOUD_ACCESS_KEY_SECRET)
    return { get: credentialsFrom(env), source: 'env' };
  const role = env.ALIBABA_CLOUD_ECS_METADATA;
  if (role && !truthy(env.ALIBABA_CLOUD_ECS_METADATA_DISABLED))
    return {
      get: ecsRoleCredentials({
        role,
        imdsV1Disabled: truthy(env.ALIBABA_CLOUD_IMDSV1_DISABLED),
        ...(metadataEndpoint ? { endpoint: metadataEndpoint } : {}),
      }),
      source: 'ecs-ram-role',
    };
  return { get: credentialsFrom(env), source: 'none' };
}

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
        hint: 'set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, ALIBABA_CLOUD_CREDENTIALS_FILE, or ALIBABA_CLOUD_ECS_METADATA (the ECS instance RAM role)',
      });
    return {
      accessKeyId: id,
      accessKeySecret: secret,
      ...(env.ALIBABA_CLOUD_SECURITY_TOKEN ? { securityToken: env.ALIBABA_CLOUD_SECURITY_TOKEN } : {}),
    };
  };
}
