/**
 * The ECI OpenAPI (2018-08-08) client: RPC-style calls signed with V3, parameters flattened the way the RPC API
 * expects (`Container.1.EnvironmentVar.2.Key`), client-side rate limits per the published quotas, retries with
 * exponential backoff and full jitter on throttling and 5xx, cancellable. Region endpoints
 * `eci.<region>.aliyuncs.com`, VPC endpoints `eci-vpc.<region>.aliyuncs.com`, or any endpoint (the emulator).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Cancelled, Unavailable } from '@eci-virtual/contract';
import type { Logger } from '../../../observability/logger.js';
import { isRetryable, mapEciError, type EciErrorBody } from './eci-errors.js';
import { eciRateLimits, type EciRateLimits } from './rate-limiter.js';
import { percentEncode, signRequest, type Credentials } from './signer.js';

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
  credentials: () => Promise<Credentials> | Credentials;
  /** Default: the public region endpoint; `vpc: true` for the VPC endpoint. */
  endpoint?: string;
  vpc?: boolean;
  log?: Logger;
  maxAttempts?: number;
  limits?: EciRateLimits;
  fetch?: typeof fetch;
  /** Base for backoff, ms (tests use 1). */
  backoffBaseMs?: number;
}

const BUCKET: Record<string, keyof EciRateLimits> = {
  CreateContainerGroup: 'lifecycle',
  DeleteContainerGroup: 'lifecycle',
  ExecContainerCommand: 'exec',
  DescribeContainerLog: 'logs',
};

export class EciClient {
  readonly endpoint: string;
  private readonly limits: EciRateLimits;

  constructor(private readonly opts: EciClientOptions) {
    this.endpoint = (opts.endpoint ?? endpointFor(opts.region, opts.vpc ?? false)).replace(/\/$/, '');
    this.limits = opts.limits ?? eciRateLimits();
  }

  /** Calls `action`; retries throttling/5xx/network errors with backoff + full jitter (bounded). */
  async call<T>(action: string, params: Record<string, ParamValue>, signal?: AbortSignal): Promise<T> {
    const maxAttempts = this.opts.maxAttempts ?? 6;
    const base = this.opts.backoffBaseMs ?? 200;
    for (let attempt = 1; ; attempt++) {
      await this.limits[BUCKET[action] ?? 'describe'].take(signal);
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
    const url = new URL(this.endpoint);
    const form = flattenParams({ RegionId: this.opts.region, ...params });
    const body = Object.entries(form)
      .map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`)
      .join('&');
    const headers = signRequest(
      {
        method: 'POST',
        host: url.host,
        path: url.pathname || '/',
        query: {},
        body,
        action,
        version: ECI_VERSION,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      },
      await this.opts.credentials(),
    );
    let res: Response;
    try {
      res = await (this.opts.fetch ?? fetch)(`${this.endpoint}/`, {
        method: 'POST',
        headers,
        body,
        ...(signal ? { signal } : {}),
      });
    } catch (err) {
      if (signal?.aborted) throw new Cancelled(`ECI ${action} cancelled`);
      throw new Unavailable(`ECI ${action}: ${this.endpoint} unreachable: ${(err as Error).message}`, { cause: err });
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      json = { Message: text.slice(0, 200) };
    }
    if (!res.ok) throw mapEciError(res.status, json as EciErrorBody, action);
    return json as T;
  }
}
