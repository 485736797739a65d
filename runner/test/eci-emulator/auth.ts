/**
 * Verifies a V3 (ACS3-HMAC-SHA256) signed request the way the service does: recompute the signature with the
 * caller's secret from the canonical request, and check version, date skew, nonce reuse, the payload hash and that
 * every header the published rules require is signed. The canonical form is the emulator's own (signature-v3.ts,
 * written from Alibaba's page), never the SDK's signer the product uses, so a signing bug fails here instead of agreeing with itself.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { expectedSignature, hexSha256, mustBeSigned, parseAuthorizationHeader } from './signature-v3.js';
import { ApiError } from './api-error.js';

export const API_VERSION = '2018-08-08';
const MAX_SKEW_MS = 15 * 60_000;

export interface AuthOptions {
  /** AccessKeyId → AccessKeySecret. */
  accessKeys: Record<string, string>;
  /** STS tokens accepted (with any known AccessKeyId). */
  securityTokens?: string[];
}

export class RequestVerifier {
  /** Nonces seen within the allowed clock skew, oldest first (a Map keeps insertion order). */
  private readonly nonces = new Map<string, number>();

  constructor(private readonly opts: AuthOptions) {}

  /** Throws ApiError when the request would be refused; returns the action and the caller's AccessKeyId. */
  verify(method: string, path: string, query: [string, string][], headers: IncomingHttpHeaders, body: Buffer) {
    const h = (name: string) => {
      const v = headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    const action = h('x-acs-action');
    if (!action) throw new ApiError(400, 'MissingAction', 'The request lacks the x-acs-action header.');
    const version = h('x-acs-version');
    if (version !== API_VERSION)
      throw new ApiError(400, 'InvalidVersion', `Specified parameter Version "${version ?? ''}" is not valid.`);
    const auth = parseAuthorizationHeader(h('authorization'));
    if (!auth)
      throw new ApiError(400, 'IncompleteSignature', 'The request signature does not conform to Aliyun standards.');
    const secret = this.opts.accessKeys[auth.accessKeyId];
    if (secret === undefined)
      throw new ApiError(404, 'InvalidAccessKeyId.NotFound', 'Specified access key is not found.');
    const date = Date.parse(h('x-acs-date') ?? '');
    if (!Number.isFinite(date) || Math.abs(Date.now() - date) > MAX_SKEW_MS)
      throw new ApiError(400, 'InvalidTimeStamp.Expired', 'Specified time stamp or date value is expired.');
    const nonce = h('x-acs-signature-nonce');
    if (!nonce) throw new ApiError(400, 'MissingSignatureNonce', 'The request lacks x-acs-signature-nonce.');
    this.sweepNonces();
    if (this.nonces.has(nonce))
      throw new ApiError(400, 'SignatureNonceUsed', 'Specified signature nonce was used already.');
    const contentHash = h('x-acs-content-sha256');
    if (contentHash !== hexSha256(body))
      throw new ApiError(400, 'IncompleteSignature', 'x-acs-content-sha256 does not match the request body.');
    const token = h('x-acs-security-token');
    if (token !== undefined && !(this.opts.securityTokens ?? []).includes(token))
      throw new ApiError(400, 'InvalidSecurityToken.Malformed', 'Specified SecurityToken is malformed or expired.');
    // "All common request headers except Authorization, if present, must be signed" (V3 signature page).
    const present = Object.keys(headers).filter((n) => mustBeSigned(n) && n.toLowerCase() !== 'authorization');
    for (const required of ['host', ...present])
      if (!auth.signedHeaders.includes(required.toLowerCase()))
        throw new ApiError(400, 'IncompleteSignature', `SignedHeaders must include ${required.toLowerCase()}.`);
    const signed: Record<string, string> = {};
    for (const name of auth.signedHeaders) {
      const v = h(name);
      if (v === undefined) throw new ApiError(400, 'IncompleteSignature', `Signed header ${name} is missing.`);
      signed[name] = v;
    }
    const expected = expectedSignature({ method, path, query, headers: signed, body }, auth.signedHeaders, secret);
    if (
      expected.length !== auth.signature.length ||
      !timingSafeEqual(Buffer.from(expected), Buffer.from(auth.signature))
    )
      throw new ApiError(
        400,
        'SignatureDoesNotMatch',
        'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
      );
    this.nonces.set(nonce, Date.now());
    return { action, accessKeyId: auth.accessKeyId };
  }

  /** Forgets nonces older than the skew: from the oldest until the first young one (not every nonce per request). */
  private sweepNonces(): void {
    const cutoff = Date.now() - MAX_SKEW_MS;
    for (const [n, t] of this.nonces) {
      if (t >= cutoff) break;
      this.nonces.delete(n);
    }
  }
}
