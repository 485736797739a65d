/**
 * A raw V3-signed request as Alibaba's SDK signs it (`@alicloud/openapi-util` getAuthorization, the function
 * `@alicloud/openapi-client` calls), with the headers openapi-client's doRequest sets, for tests that need to see
 * the emulator's HTTP answer itself or send what the SDK would not (a form body, a tampered payload).
 */
import { createHash, randomBytes } from 'node:crypto';
import openapiUtil from '@alicloud/openapi-util';

export interface SdkSignedInput {
  endpoint: string;
  action: string;
  /** Flattened parameters for the query string (where the API metadata places them). */
  query: Record<string, string>;
  /** A form body (`application/x-www-form-urlencoded`), which the SDK never sends for ECI. */
  form?: Record<string, string>;
  accessKeyId: string;
  accessKeySecret: string;
  version?: string;
}

export function sdkSigned(i: SdkSignedInput): { url: string; init: RequestInit } {
  const url = new URL(i.endpoint);
  const body = i.form ? new URLSearchParams(i.form).toString().replace(/\+/g, '%20') : '';
  const headers: Record<string, string> = {
    host: url.host,
    'x-acs-version': i.version ?? '2018-08-08',
    'x-acs-action': i.action,
    'x-acs-date': new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    'x-acs-signature-nonce': randomBytes(16).toString('hex'),
    accept: 'application/json',
    ...(i.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
    'x-acs-content-sha256': createHash('sha256').update(body).digest('hex'),
  };
  const request = { method: 'POST', pathname: '/', query: i.query, headers };
  headers.Authorization = openapiUtil.default.getAuthorization(
    request as unknown as Parameters<typeof openapiUtil.default.getAuthorization>[0],
    'ACS3-HMAC-SHA256',
    headers['x-acs-content-sha256']!,
    i.accessKeyId,
    i.accessKeySecret,
  );
  const qs = new URLSearchParams(i.query).toString().replace(/\+/g, '%20');
  return {
    url: `${i.endpoint.replace(/\/$/, '')}/${qs ? `?${qs}` : ''}`,
    init: { method: 'POST', headers, ...(body ? { body } : {}) },
  };
}
