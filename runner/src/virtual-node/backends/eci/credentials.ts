/**
 * Alibaba Cloud credentials for the ECI client, through Alibaba's own `@alicloud/credentials` providers — the ones
 * its default chain is made of — chosen from the environment in the chain's order:
 *
 *   1. ALIBABA_CLOUD_CREDENTIALS_FILE holding JSON `{"AccessKeyId","AccessKeySecret","SecurityToken"?}` (the shape of
 *      an STS AssumeRole result, re-read on every call so a sidecar can rotate it) — ours, kept for existing set-ups;
 *   2. ALIBABA_CLOUD_ACCESS_KEY_ID / _SECRET, with ALIBABA_CLOUD_SECURITY_TOKEN an STS token (SDK static providers);
 *   3. RRSA / OIDC, the way ACK grants a pod a RAM role: ALIBABA_CLOUD_ROLE_ARN, ALIBABA_CLOUD_OIDC_PROVIDER_ARN and
 *      ALIBABA_CLOUD_OIDC_TOKEN_FILE (ACK's pod identity webhook sets all three; SDK OIDCRoleArnCredentialsProvider,
 *      AssumeRoleWithOIDC, cached and refreshed by the SDK);
 *   4. the ECS instance's RAM role from the metadata service, ALIBABA_CLOUD_ECS_METADATA=<role> (unless
 *      ALIBABA_CLOUD_ECS_METADATA_DISABLED; ALIBABA_CLOUD_IMDSV1_DISABLED refuses the v1 fallback; SDK
 *      ECSRAMRoleCredentialsProvider).
 *
 * Unlike the SDK's DefaultCredentialsProvider, the choice is made once from the environment the node was started
 * with (injectable, so testable) and nothing else is probed: a node without any of these fails at start with a hint
 * instead of waiting on 100.100.100.200 time-outs, and the log says which kind is in use. Values never reach logs.
 */
import { readFileSync } from 'node:fs';
import credentials from '@alicloud/credentials';
import { EciVirtualError, InvalidInput, Unavailable } from '@eci-virtual/contract';

export interface Credentials {
  accessKeyId: string;
  accessKeySecret: string;
  /** STS token (RAM role), sent as x-acs-security-token and signed. */
  securityToken?: string;
}

export type CredentialKind = 'json-file' | 'access-key' | 'sts-token' | 'oidc-role-arn' | 'ecs-ram-role';

/** The SDK's provider interface (`@alicloud/credentials` CredentialsProvider). */
export type SdkCredentialsProvider = InstanceType<typeof credentials.StaticAKCredentialsProvider>;

export interface CredentialSource {
  kind: CredentialKind;
  provider: { getCredentials(): Promise<SdkCredentials>; getProviderName(): string };
}

type SdkCredentials = Awaited<ReturnType<SdkCredentialsProvider['getCredentials']>>;

const truthy = (v: string | undefined) => /^(1|true)$/i.test(v ?? '');

const NO_CREDENTIALS_HINT =
  'set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET (+ ALIBABA_CLOUD_SECURITY_TOKEN), ' +
  'ALIBABA_CLOUD_ROLE_ARN + ALIBABA_CLOUD_OIDC_PROVIDER_ARN + ALIBABA_CLOUD_OIDC_TOKEN_FILE (RRSA), ' +
  'ALIBABA_CLOUD_ECS_METADATA (the ECS instance RAM role) or ALIBABA_CLOUD_CREDENTIALS_FILE';

/** Picks the credential kind the environment configures and builds the SDK provider for it. */
export function credentialProvider(env: NodeJS.ProcessEnv = process.env): CredentialSource {
  if (env.ALIBABA_CLOUD_CREDENTIALS_FILE)
    return { kind: 'json-file', provider: jsonFileProvider(env.ALIBABA_CLOUD_CREDENTIALS_FILE) };
  const id = env.ALIBABA_CLOUD_ACCESS_KEY_ID;
  const secret = env.ALIBABA_CLOUD_ACCESS_KEY_SECRET;
  if (id || secret) {
    if (!id || !secret)
      throw new InvalidInput('ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET must both be set');
    const token = env.ALIBABA_CLOUD_SECURITY_TOKEN;
    return token
      ? {
          kind: 'sts-token',
          provider: credentials.StaticSTSCredentialsProvider.builder()
            .withAccessKeyId(id)
            .withAccessKeySecret(secret)
            .withSecurityToken(token)
            .build(),
        }
      : {
          kind: 'access-key',
          provider: credentials.StaticAKCredentialsProvider.builder()
            .withAccessKeyId(id)
            .withAccessKeySecret(secret)
            .build(),
        };
  }
  const oidc = [env.ALIBABA_CLOUD_ROLE_ARN, env.ALIBABA_CLOUD_OIDC_PROVIDER_ARN, env.ALIBABA_CLOUD_OIDC_TOKEN_FILE];
  if (oidc.some(Boolean)) {
    const [roleArn, providerArn, tokenFile] = oidc;
    if (!roleArn || !providerArn || !tokenFile)
      throw new InvalidInput(
        'RRSA needs ALIBABA_CLOUD_ROLE_ARN, ALIBABA_CLOUD_OIDC_PROVIDER_ARN and ALIBABA_CLOUD_OIDC_TOKEN_FILE together',
        { hint: "enable RRSA on the ACK cluster and the pod identity webhook for the node's service account" },
      );
    let builder = credentials.OIDCRoleArnCredentialsProvider.builder()
      .withRoleArn(roleArn)
      .withOIDCProviderArn(providerArn)
      .withOIDCTokenFilePath(tokenFile)
      .withRoleSessionName(env.ALIBABA_CLOUD_ROLE_SESSION_NAME ?? 'eci-virtual-node');
    if (env.ALIBABA_CLOUD_STS_REGION) builder = builder.withStsRegionId(env.ALIBABA_CLOUD_STS_REGION);
    if (truthy(env.ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED)) builder = builder.withEnableVpc(true);
    return { kind: 'oidc-role-arn', provider: builder.build() };
  }
  const role = env.ALIBABA_CLOUD_ECS_METADATA;
  if (role && !truthy(env.ALIBABA_CLOUD_ECS_METADATA_DISABLED))
    return {
      kind: 'ecs-ram-role',
      provider: credentials.ECSRAMRoleCredentialsProvider.builder()
        .withRoleName(role)
        .withDisableIMDSv1(truthy(env.ALIBABA_CLOUD_IMDSV1_DISABLED))
        .build(),
    };
  throw new InvalidInput('no Alibaba Cloud credentials', { hint: NO_CREDENTIALS_HINT });
}

/** Our JSON credentials file as an SDK provider: read on every call (rotation), checked, never logged. */
function jsonFileProvider(file: string): CredentialSource['provider'] {
  return {
    getProviderName: () => 'json_file',
    getCredentials: () => {
      let raw: { AccessKeyId?: string; AccessKeySecret?: string; SecurityToken?: string };
      try {
        raw = JSON.parse(readFileSync(file, 'utf8')) as typeof raw;
      } catch (err) {
        return Promise.reject(
          new InvalidInput(`cannot read Alibaba Cloud credentials from ${file}: ${(err as Error).message}`, {
            hint: 'ALIBABA_CLOUD_CREDENTIALS_FILE holds JSON {"AccessKeyId","AccessKeySecret","SecurityToken"}',
          }),
        );
      }
      if (!raw.AccessKeyId || !raw.AccessKeySecret)
        return Promise.reject(new InvalidInput(`${file} lacks AccessKeyId/AccessKeySecret`));
      return Promise.resolve(sdkCredentials(raw.AccessKeyId, raw.AccessKeySecret, raw.SecurityToken, 'json_file'));
    },
  };
}

function sdkCredentials(id: string, secret: string, token: string | undefined, providerName: string): SdkCredentials {
  return { accessKeyId: id, accessKeySecret: secret, securityToken: token ?? '', providerName } as SdkCredentials;
}

/** What the SDK client's Config takes as `credential`: static keys (tests, benches) or a credential source. */
export function sdkCredential(c: Credentials | CredentialSource): InstanceType<typeof credentials.default> {
  const provider: CredentialSource['provider'] =
    'provider' in c
      ? c.provider
      : {
          getProviderName: () => 'static',
          getCredentials: () =>
            Promise.resolve(sdkCredentials(c.accessKeyId, c.accessKeySecret, c.securityToken, 'static')),
        };
  return new credentials.default(null, {
    getProviderName: () => provider.getProviderName(),
    // The SDK providers throw plain Errors (STS or the metadata service unreachable, a refused token): typed here,
    // retryable, naming the provider; ours (a bad JSON file) are typed already.
    getCredentials: () =>
      provider.getCredentials().catch((err: unknown) => {
        if (err instanceof EciVirtualError) throw err;
        throw new Unavailable(
          `Alibaba Cloud credentials (${provider.getProviderName()}) unavailable: ${(err as Error).message}`,
          { cause: err },
        );
      }),
  });
}
