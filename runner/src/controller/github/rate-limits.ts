/**
 * GitHub's rate-limit answers read as "Rate limits for the REST API" describes them
 * (https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api): an exhausted primary limit answers
 * 403 or 429 with `x-ratelimit-remaining: 0` and `x-ratelimit-reset` (epoch seconds); a secondary limit answers 403 or
 * 429 naming it, usually with `retry-after`.
 */

/** What a 403/429 says about rate limits: the primary limit's reset (epoch s) or a secondary limit's wait. */
export interface RateLimitInfo {
  kind: 'primary' | 'secondary';
  /** Epoch seconds when the primary limit resets. */
  resetAt?: number;
  /** Seconds a secondary limit asks to wait (`retry-after`), when given. */
  retryAfter?: number;
}

/**
 * Reads a failed response as GitHub's rate-limit docs describe it: primary when `x-ratelimit-remaining` is 0,
 * secondary when the message names a secondary rate limit or `retry-after` is set; any other 429 is a limit too.
 */
export function rateLimitOf(err: unknown): RateLimitInfo | undefined {
  const e = err as { status?: number; message?: string; response?: { headers?: Record<string, string | undefined> } };
  if (e.status !== 403 && e.status !== 429) return undefined;
  const h = e.response?.headers ?? {};
  const retryAfter = h['retry-after'] !== undefined ? Number(h['retry-after']) : undefined;
  const secondary = /secondary rate limit/i.test(e.message ?? '') || (retryAfter !== undefined && retryAfter >= 0);
  if ((h['x-ratelimit-remaining'] === '0' || /API rate limit exceeded/i.test(e.message ?? '')) && !secondary) {
    const reset = Number(h['x-ratelimit-reset']);
    return { kind: 'primary', ...(Number.isFinite(reset) && reset > 0 ? { resetAt: reset } : {}) };
  }
  if (secondary || e.status === 429)
    return { kind: 'secondary', ...(retryAfter !== undefined && Number.isFinite(retryAfter) ? { retryAfter } : {}) };
  return undefined;
}
