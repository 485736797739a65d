/**
 * The ECI OpenAPI (2018-08-08) client. Transport, V3 signing (ACS3-HMAC-SHA256) and the request layout are
 * Alibaba's own `@alicloud/openapi-client`, called exactly the way the generated ECI SDK (`@alicloud/eci20180808`)
 * calls it: RPC style, `POST /`, every parameter in the query string as the API metadata places them
 * (`in: query`), flattened the RPC way (`Container.1.EnvironmentVar.2.Key`). What stays ours: the client-side rate
 * limits per the published quotas (rate-limiter.ts), retries with exponential backoff and full jitter on throttling
 * and 5xx (the SDK's own retry is off), cancellation, and the mapping of error codes to typed errors. Region endpoints
 * `eci.<region>.aliyuncs.com`, VPC endpoints `eci-vpc.<region>.aliyuncs.com`, or any endpoint (the emulator).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import openapi from '@alicloud/openapi-client';
import teaUtil from '@alicloud/tea-util';
import { Cancelled, EciVirtualError, Unavailable } from '@eci-virtual/contract';
import type { Logger } from '../../../observability/logger.js';
import { sdkCredential, type Credentials, type CredentialSource } from './credentials.js';
import { isRetryable, mapEciError, type EciErrorBody } from './eci-errors.js';
import { eciRateLimits, limiterFor, type EciRateLimits } from './rate-limiter.js';

export const ECI_VERSION = '2018-08-08';

export type ParamValue = string | number | boolean | undefined | ParamValue[] | { [k: string]: ParamValue };

/** `{Container: [{Name: 'a', Port: [{Port: 80}]}]}` → `Container.1.Name=a`, `Container.1.Port.1.Port=80`. */
export function flattenParams(
  params: Record<string, ParamValue>,
  prefix = '',
  out: Record<string, string> = {},
): Record<string, string> {
  for (const [key, value] of Object.entries(params)) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (value === undefined) continue;
    if (Array.isArray(value)) value.forEach((v, i) => flattenParams({ [String(i + 1)]: v }, name, out));
    else if (typeof value === 'object') flattenParams(value, name, out);
    else out[name] = String(value);
  }
  return out;
}

export function endpointFor(region: string, vpc: boolean): string {
  return `https://${vpc ? 'eci-vpc' : 'eci'}.${region}.aliyuncs.com`;
}

export interface EciClientOptions {
  region: string;
  /** Static keys (tests), or a credential source (credentials.ts `credentialProvider`: the SDK's default chain). */
  credentials: Credentials | CredentialSource;
  /** Default: the public region endpoint; `vpc: true` for the VPC endpoint. */
  endpoint?: string;
  vpc?: boolean;
  log?: Logger;
  maxAttempts?: number;
  limits?: EciRateLimits;
  /** Base for backoff, ms (tests use 1). */
  backoffBaseMs?: number;
  /** Per-request timeouts, ms (defaults 5 s to connect, 60 s to read; the SDK's own defaults are shorter). */
  connectTimeoutMs?: number;
  readTimeoutMs?: number;
}

/** The SDK's error (`$tea.newError`): `code` is the API's Code, `data` the whole error body plus `statusCode`. */
interface SdkError {
  code?: string;
  message?: string;
  data?: EciErrorBody & { statusCode?: number };
}

const isSdkApiError = (err: unknown): err is SdkError =>
  typeof err === 'object' && err !== null && typeof (err as SdkError).data?.statusCode === 'number';

export class EciClient {
  readonly endpoint: string;
  private readonly limits: EciRateLimits;
  private readonly sdk: InstanceType<typeof openapi.default>;

  constructor(private readonly opts: EciClientOptions) {
    this.endpoint = (opts.endpoint ?? endpointFor(opts.region, opts.vpc ?? false)).replace(/\/$/, '');
    this.limits = opts.limits ?? eciRateLimits();
    const url = new URL(this.endpoint);
    this.sdk = new openapi.default(
      new openapi.Config({
        credential: sdkCredential(opts.credentials),
        regionId: opts.region,
        endpoint: url.host,
        protocol: url.protocol.replace(':', ''),
        connectTimeout: opts.connectTimeoutMs ?? 5_000,
        readTimeout: opts.readTimeoutMs ?? 60_000,
      }),
    );
  }

  /** Calls `action`; retries throttling/5xx/network errors with backoff + full jitter (bounded). */
  async call<T>(action: string, params: Record<string, ParamValue>, signal?: AbortSignal): Promise<T> {
    const maxAttempts = this.opts.maxAttempts ?? 6;
    const base = this.opts.backoffBaseMs ?? 200;
    for (let attempt = 1; ; attempt++) {
      await limiterFor(this.limits, action).take(signal);
      try {
        return await this.once<T>(action, params, signal);
      } catch (err) {
        if (signal?.aborted) throw new Cancelled(`ECI ${action} cancelled`);
        if (!isRetryable(err) || attempt >= maxAttempts) throw err;
        const delay = Math.random() * Math.min(20_000, base * 2 ** attempt);
        this.opts.log?.warn('ECI call failed; retrying', {
          action,
          attempt,
          delayMs: Math.round(delay),
          err: (err as Error).message,
        });
        await sleep(delay, undefined, signal ? { signal } : undefined).catch(() => undefined);
      }
    }
  }

  private async once<T>(action: string, params: Record<string, ParamValue>, signal?: AbortSignal): Promise<T> {
    // As the generated SDK's <Action>WithOptions does: every parameter in `query`, RPC style, POST /, JSON answer.
    const request = new openapi.OpenApiRequest({ query: flattenParams({ RegionId: this.opts.region, ...params }) });
    const call = new openapi.Params({
      action,
      version: ECI_VERSION,
      protocol: 'HTTPS',
      pathname: '/',
      method: 'POST',
      authType: 'AK',
      style: 'RPC',
      reqBodyType: 'formData',
      bodyType: 'json',
    });
    // Retries are ours (limiter-aware, jittered, cancellable); the SDK makes exactly one attempt.
    const runtime = new teaUtil.RuntimeOptions({ autoretry: false });
    const answer = this.sdk.callApi(call, request, runtime);
    let res: { body?: unknown };
    try {
      res = (await (signal ? abortable(answer, signal) : answer)) as { body?: unknown };
    } catch (err) {
      if (signal?.aborted) throw new Cancelled(`ECI ${action} cancelled`);
      if (isSdkApiError(err))
        throw mapEciError(err.data!.statusCode!, { ...err.data, Code: err.data!.Code ?? err.code }, action);
      if (err instanceof EciVirtualError) throw err; // e.g. the credentials (credentials.ts)
      throw new Unavailable(`ECI ${action}: ${this.endpoint} unreachable: ${(err as Error).message}`, { cause: err });
    }
    return (res.body ?? {}) as T;
  }
}

/** Settles with `p`, or rejects as soon as `signal` aborts (the SDK takes no signal; its request is abandoned). */
function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => (signal.removeEventListener('abort', onAbort), resolve(v)),
      (e: unknown) => (signal.removeEventListener('abort', onAbort), reject(e as Error)),
    );
  });
}
