/**
 * The emulator's own check of Alibaba Cloud's V3 request signature (ACS3-HMAC-SHA256), written from the published
 * page "Request syntax and signature method V3"
 * (https://www.alibabacloud.com/help/en/sdk/product-overview/v3-request-structure-and-signature). It shares no code
 * with the SDK's signer (which the product uses) on purpose: if both were the same code, a mistake in it would pass every test.
 *
 * The rules, each as that page states it:
 *  - CanonicalRequest = Method \n CanonicalURI \n CanonicalQueryString \n CanonicalHeaders \n SignedHeaders \n
 *    HashedRequestPayload.
 *  - CanonicalURI: the resource path, percent-encoded per segment ("/" for RPC-style APIs such as ECI).
 *  - CanonicalQueryString: query parameters sorted by name (ascending byte order), name and value percent-encoded
 *    (RFC 3986: `+` → %20, `*` → %2A, `%7E` → `~`), `name=value` joined with `&`; a parameter without a value is
 *    `name=`; empty when there is no query.
 *  - CanonicalHeaders: the signed headers, names lower-cased, values trimmed, sorted by name, each `name:value\n`.
 *    Headers that must be signed: `host`, every `x-acs-*` header, and `content-type` when present ("all common request
 *    headers except Authorization, if present, must be signed").
 *  - SignedHeaders: the same lower-cased names joined with `;`.
 *  - HashedRequestPayload: lower-case hex SHA-256 of the body (the empty string's hash for no body); it is also the
 *    `x-acs-content-sha256` header.
 *  - StringToSign = "ACS3-HMAC-SHA256" \n hex(SHA-256(CanonicalRequest)); Signature = hex(HMAC-SHA256(secret,
 *    StringToSign)).
 *  - Authorization: `ACS3-HMAC-SHA256 Credential=<AccessKeyId>,SignedHeaders=<SignedHeaders>,Signature=<Signature>`.
 *  - x-acs-date is ISO 8601 UTC (`yyyy-MM-ddTHH:mm:ssZ`); x-acs-signature-nonce is unique per request (replay guard).
 */
import { createHash, createHmac } from 'node:crypto';

export const ALGORITHM = 'ACS3-HMAC-SHA256';

export interface ReceivedRequest {
  method: string;
  /** The path as received (may be percent-encoded already). */
  path: string;
  /** Query parameters, decoded. */
  query: [string, string][];
  /** Header name (any case) → value. */
  headers: Record<string, string>;
  body: Buffer;
}

export interface ParsedAuthorization {
  accessKeyId: string;
  signedHeaders: string[];
  signature: string;
}

/** RFC 3986 unreserved characters stay; everything else is %XX with upper-case hex (the page's encoding rule). */
export function rfc3986(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-_.~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export const hexSha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

export function parseAuthorizationHeader(value: string | undefined): ParsedAuthorization | undefined {
  if (!value?.startsWith(`${ALGORITHM} `)) return undefined;
  const fields = new Map<string, string>();
  for (const part of value.slice(ALGORITHM.length + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const accessKeyId = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (!accessKeyId || !signedHeaders || !signature) return undefined;
  return { accessKeyId, signedHeaders: signedHeaders.split(';'), signature };
}

/** The headers the page says must be signed when present. */
export function mustBeSigned(name: string): boolean {
  const n = name.toLowerCase();
  return n === 'host' || n === 'content-type' || n.startsWith('x-acs-');
}

export function canonicalRequestOf(req: ReceivedRequest, signedHeaders: string[]): string {
  const lower = new Map(Object.entries(req.headers).map(([k, v]) => [k.toLowerCase(), v]));
  const uri = req.path
    .split('/')
    .map((segment) => rfc3986(decodeURIComponent(segment)))
    .join('/');
  const query = req.query
    .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
    .sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const names = [...signedHeaders].map((n) => n.toLowerCase()).sort();
  const headers = names.map((n) => `${n}:${(lower.get(n) ?? '').trim()}\n`).join('');
  return [req.method.toUpperCase(), uri || '/', query, headers, names.join(';'), hexSha256(req.body)].join('\n');
}

export function expectedSignature(req: ReceivedRequest, signedHeaders: string[], secret: string): string {
  const stringToSign = `${ALGORITHM}\n${hexSha256(canonicalRequestOf(req, signedHeaders))}`;
  return createHmac('sha256', secret).update(stringToSign).digest('hex');
}
