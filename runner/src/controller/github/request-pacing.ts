/**
 * How the controller's GitHub calls are paced, as one Octokit `request` hook: at most `maxConcurrentRequests` calls
 * in flight (writes at most `maxConcurrentWrites` of them), a rate-limited answer waited out in place when the wait
 * is short (a primary limit once, a secondary limit twice), and 5xx or network failures retried with backoff.
 *
 * It replaces @octokit/plugin-throttling and @octokit/plugin-retry. Both schedule every call through Bottleneck, whose
 * limiters take each job through serial locks that yield a `setTimeout(0)` per step; the throttling plugin's single
 * retry limiter is shared by every call. Measured: 200 calls/s of a 15 ms answer through that pair wait p50 37 ms on
 * an idle event loop, but p50 2.4 s / p99 4.8 s when each loop turn also does 2 ms of other work, and 5.2 s / 11.7 s
 * at 5 ms — and the fleet simulation's controller showed exactly that: GitHub answered in ~15 ms while its calls took
 * ~3.4 s. Slots here are promise-based (`p-limit`): no timers, no per-call scheduling work.
 *
 * Rules (GitHub, "Rate limits for the REST API", https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api,
 * and "Best practices for using the REST API"): no more than 100 concurrent requests; after a secondary limit wait
 * `retry-after` seconds, or at least a minute when it is not given; after an exhausted primary limit wait until
 * `x-ratelimit-reset`. Waits happen without holding a slot.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pLimit from 'p-limit';
import { rateLimitOf } from './rate-limits.js';

/** What an Octokit `request` hook is handed: the next request function and its options. */
export interface PacedRequestOptions {
  method: string;
  url: string;
}
type Next<O, R> = (options: O) => R | Promise<R>;

export interface RequestPacingOptions {
  /** Calls in flight at once, of any kind. */
  maxConcurrentRequests: number;
  /** Writes (anything but GET/HEAD) in flight at once, counted within `maxConcurrentRequests`. */
  maxConcurrentWrites: number;
  /** Retries after a 5xx answer or a network failure. */
  retries: number;
  /** The longest rate-limit wait taken in place; a longer one fails the call at once. */
  maxRateLimitWaitSeconds: number;
  /** Told before every rate-limit wait (or refusal to wait), for the log. */
  onRateLimit?: (info: { kind: 'primary' | 'secondary'; route: string; waitSeconds: number; retry: boolean }) => void;
  /** First retry's backoff after a 5xx or network failure (doubled each time), default 500 ms. */
  retryBaseMs?: number;
  /** Clock (ms), for tests. */
  now?: () => number;
  /** Waiting, for tests. */
  wait?: (ms: number) => Promise<void>;
}

/** Waits of each kind one call may take: once the primary limit has reset there is a whole budget again. */
const RATE_LIMIT_RETRIES = { primary: 1, secondary: 2 } as const;
/** A secondary limit without `retry-after`: "wait for at least one minute before retrying" (GitHub's docs). */
const SECONDARY_DEFAULT_WAIT_SECONDS = 60;

/**
 * Requests that create the installation token other requests wait for (GitHub App auth): they take no slot, so calls
 * holding every slot while they wait for a token cannot deadlock. "Create an installation access token for an app".
 */
function isTokenRequest(method: string, url: string): boolean {
  return method === 'POST' && /\/app\/installations\/[^/]+\/access_tokens$/.test(new URL(url, 'http://x').pathname);
}

/** Status of a failed request; Octokit gives network failures status 500 with no response, or none at all. */
function isRetryable(err: unknown): boolean {
  const status = (err as { status?: number }).status;
  return status === undefined || status >= 500 || status === 408;
}

export function requestPacing(
  opts: RequestPacingOptions,
): <O extends PacedRequestOptions, R>(next: Next<O, R>, options: O) => Promise<R> {
  const all = pLimit(opts.maxConcurrentRequests);
  const writes = pLimit(opts.maxConcurrentWrites);
  const now = opts.now ?? Date.now;
  const wait = opts.wait ?? ((ms: number) => sleep(ms));
  const base = opts.retryBaseMs ?? 500;

  const once = <O extends PacedRequestOptions, R>(next: Next<O, R>, options: O): Promise<R> => {
    const method = options.method.toUpperCase();
    if (isTokenRequest(method, options.url)) return Promise.resolve(next(options));
    if (method === 'GET' || method === 'HEAD') return all(() => next(options));
    return writes(() => all(() => next(options)));
  };

  return async <O extends PacedRequestOptions, R>(next: Next<O, R>, options: O): Promise<R> => {
    const route = `${options.method.toUpperCase()} ${options.url}`;
    const waited = { primary: 0, secondary: 0 };
    for (let failures = 0; ;) {
      try {
        return await once(next, options);
      } catch (err) {
        const limit = rateLimitOf(err);
        if (limit) {
          const waitSeconds =
            limit.kind === 'primary'
              ? Math.max(0, Math.ceil((limit.resetAt ?? 0) - now() / 1000) + 1)
              : (limit.retryAfter ?? SECONDARY_DEFAULT_WAIT_SECONDS);
          const retry =
            waited[limit.kind] < RATE_LIMIT_RETRIES[limit.kind] &&
            waitSeconds <= opts.maxRateLimitWaitSeconds &&
            (limit.kind === 'secondary' || limit.resetAt !== undefined);
          opts.onRateLimit?.({ kind: limit.kind, route, waitSeconds, retry });
          if (!retry) throw err;
          waited[limit.kind]++;
          await wait(waitSeconds * 1000);
          continue;
        }
        if (!isRetryable(err) || failures >= opts.retries) throw err;
        await wait(base * 2 ** failures);
        failures++;
      }
    }
  };
}
