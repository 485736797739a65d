/**
 * Alibaba Cloud request signature V3 (ACS3-HMAC-SHA256), as published in "Request syntax and signature method V3"
 * (https://www.alibabacloud.com/help/en/sdk/product-overview/v3-request-structure-and-signature):
 *
 *   CanonicalRequest = Method \n CanonicalURI \n CanonicalQueryString \n CanonicalHeaders \n SignedHeaders \n HashedPayload
 *   StringToSign     = "ACS3-HMAC-SHA256" \n hex(SHA256(CanonicalRequest))
 *   Signature        = hex(HMAC-SHA256(AccessKeySecret, StringToSign))
 *   Authorization    = ACS3-HMAC-SHA256 Credential=<AccessKeyId>,SignedHeaders=<...>,Signature=<...>
 *
 * Signed headers: `host`, `content-type` when present, and every `x-acs-*` header, lower-cased and sorted.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';

export const ALGORITHM = 'ACS3-HMAC-SHA256';

export interface SignInput {
  method: string;
  host: string;
  /** Path, `/` for RPC-style APIs such as ECI. */
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: Buffer | string;
}

export interface Credentials {
  accessKeyId: string;
  accessKeySecret: string;
  /** STS token (RAM role), sent as x-acs-security-token and signed. */
  securityToken?: string;
}

/** RFC 3986 percent-encoding as the spec requires (space → %20, `*` → %2A, `~` kept). */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export const sha256Hex = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

export function canonicalRequest(input: SignInput): { text: string; signedHeaders: string } {
  const query = Object.keys(input.query)
    .sort()
    .map((k) => `${percentEncode(k)}=${percentEncode(input.query[k]!)}`)
    .join('&');
  const headers = Object.entries({ ...input.headers, host: input.host })
    .map(([k, v]) => [k.toLowerCase(), String(v).trim()] as const)
    .filter(([k]) => k === 'host' || k === 'content-type' || k.startsWith('x-acs-'))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const signedHeaders = headers.map(([k]) => k).join(';');
  const path = input.path.split('/').map(percentEncode).join('/') || '/';
  const text = [
    input.method.toUpperCase(),
    path,
    query,
    headers.map(([k, v]) => `${k}:${v}\n`).join(''),
    signedHeaders,
    input.headers['x-acs-content-sha256'] ?? sha256Hex(input.body),
  ].join('\n');
  return { text, signedHeaders };
}

export function signature(input: SignInput, secret: string): { signature: string; signedHeaders: string } {
  const { text, signedHeaders } = canonicalRequest(input);
  const stringToSign = `${ALGORITHM}\n${sha256Hex(text)}`;
  return { signature: createHmac('sha256', secret).update(stringToSign).digest('hex'), signedHeaders };
}

/**
 * Adds the x-acs-* headers (date, nonce, content hash, token) and the Authorization header to a request.
 * `now` and `nonce` are injectable for tests.
 */
export function signRequest(
  req: Omit<SignInput, 'headers'> & { action: string; version: string; headers?: Record<string, string> },
  creds: Credentials,
  opts: { now?: Date; nonce?: string } = {},
): Record<string, string> {
  const headers: Record<string, string> = {
    ...(req.headers ?? {}),
    'x-acs-action': req.action,
    'x-acs-version': req.version,
    'x-acs-date': (opts.now ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    'x-acs-signature-nonce': opts.nonce ?? randomBytes(16).toString('hex'),
    'x-acs-content-sha256': sha256Hex(req.body),
    ...(creds.securityToken ? { 'x-acs-security-token': creds.securityToken } : {}),
  };
  const { signature: sig, signedHeaders } = signature({ ...req, headers }, creds.accessKeySecret);
  return {
    ...headers,
    host: req.host,
    Authorization: `${ALGORITHM} Credential=${creds.accessKeyId},SignedHeaders=${signedHeaders},Signature=${sig}`,
  };
}

/** Parses an Authorization header (for the emulator's verification). */
export function parseAuthorization(
  header: string | undefined,
): { accessKeyId: string; signedHeaders: string[]; signature: string } | undefined {
  const m = /^ACS3-HMAC-SHA256 Credential=([^,]+),SignedHeaders=([^,]+),Signature=([0-9a-f]{64})$/.exec(header ?? '');
  return m ? { accessKeyId: m[1]!, signedHeaders: m[2]!.split(';'), signature: m[3]! } : undefined;
}
