/**
 * Credentials of the ECS instance's RAM role, from the instance metadata service (the node runs on ECS / an ACK
 * worker with a role attached; nothing secret on disk): `ALIBABA_CLOUD_ECS_METADATA=<role name>`. IMDSv2 first — a
 * session token from `PUT /latest/api/token`, sent as `X-aliyun-ecs-metadata-token` — then, unless
 * `ALIBABA_CLOUD_IMDSV1_DISABLED` is true, a plain GET. The STS triple is cached until 3 minutes before it expires;
 * concurrent callers share one refresh.
 */
import { InvalidInput, Unavailable } from '@eci-virtual/contract';
import type { Credentials } from './signer.js';

export const ECS_METADATA_ENDPOINT = 'http://100.100.100.200';
const REFRESH_BEFORE_MS = 3 * 60_000;
const TOKEN_TTL_SECONDS = 21_600;

export interface EcsRoleOptions {
  role: string;
  /** Default http://100.100.100.200 (tests point it at a local stand-in). */
  endpoint?: string;
  /** Refuse the IMDSv1 fallback (ALIBABA_CLOUD_IMDSV1_DISABLED). */
  imdsV1Disabled?: boolean;
  timeoutMs?: number;
  now?: () => number;
}

interface RoleAnswer {
  Code?: string;
  AccessKeyId?: string;
  AccessKeySecret?: string;
  SecurityToken?: string;
  Expiration?: string;
}

export function ecsRoleCredentials(o: EcsRoleOptions): () => Promise<Credentials> {
  const endpoint = (o.endpoint ?? ECS_METADATA_ENDPOINT).replace(/\/$/, '');
  const now = o.now ?? Date.now;
  const timeout = () => AbortSignal.timeout(o.timeoutMs ?? 2_000);
  let cached: { credentials: Credentials; expiresAt: number } | undefined;
  let refreshing: Promise<Credentials> | undefined;

  const sessionToken = async (): Promise<string | undefined> => {
    try {
      const res = await fetch(`${endpoint}/latest/api/token`, {
        method: 'PUT',
        headers: { 'X-aliyun-ecs-metadata-token-ttl-seconds': String(TOKEN_TTL_SECONDS) },
        signal: timeout(),
      });
      if (res.ok) return (await res.text()).trim();
      await res.text();
      if (o.imdsV1Disabled) throw new Unavailable(`ECS metadata refused a session token (HTTP ${res.status})`);
    } catch (err) {
      if (o.imdsV1Disabled || err instanceof Unavailable)
        throw err instanceof Unavailable
          ? err
          : new Unavailable(`ECS metadata service unreachable at ${endpoint}: ${(err as Error).message}`);
    }
    return undefined; // IMDSv1 fallback
  };

  const refresh = async (): Promise<Credentials> => {
    const token = await sessionToken();
    let res: Response;
    try {
      res = await fetch(`${endpoint}/latest/meta-data/ram/security-credentials/${encodeURIComponent(o.role)}`, {
        headers: token ? { 'X-aliyun-ecs-metadata-token': token } : {},
        signal: timeout(),
      });
    } catch (err) {
      throw new Unavailable(`ECS metadata service unreachable at ${endpoint}: ${(err as Error).message}`, {
        hint: 'ALIBABA_CLOUD_ECS_METADATA works only on an ECS instance with that RAM role attached',
      });
    }
    const text = await res.text();
    if (res.status === 404)
      throw new InvalidInput(`RAM role "${o.role}" is not attached to this ECS instance`, {
        hint: 'attach the role to the instance, or fix ALIBABA_CLOUD_ECS_METADATA',
      });
    let body: RoleAnswer = {};
    try {
      body = JSON.parse(text) as RoleAnswer;
    } catch {
      // reported below
    }
    if (!res.ok || body.Code !== 'Success' || !body.AccessKeyId || !body.AccessKeySecret || !body.SecurityToken)
      throw new Unavailable(
        `ECS metadata gave no credentials for RAM role "${o.role}" (HTTP ${res.status}, Code ${body.Code ?? 'none'})`,
      );
    const expiresAt = Date.parse(body.Expiration ?? '');
    const credentials = {
      accessKeyId: body.AccessKeyId,
      accessKeySecret: body.AccessKeySecret,
      securityToken: body.SecurityToken,
    };
    cached = { credentials, expiresAt: Number.isNaN(expiresAt) ? now() + 10 * 60_000 : expiresAt };
    return credentials;
  };

  return () => {
    if (cached && cached.expiresAt - now() > REFRESH_BEFORE_MS) return Promise.resolve(cached.credentials);
    refreshing ??= refresh().finally(() => (refreshing = undefined));
    return refreshing;
  };
}
