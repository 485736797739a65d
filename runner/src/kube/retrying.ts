/**
 * API calls that ride out an API server outage. A hook process reads its pod a few times per job; when that read
 * meets a restarting kube-apiserver (connection refused, reset, a 5xx while etcd is away, 429 under load), failing
 * the hook fails the job's "Initialize containers" although nothing about the job is wrong. Such failures are
 * retried with a capped backoff until `withinMs` has passed; any other failure (404, 403, 422…) is final at once.
 *
 * A kube-apiserver that has just started answers 403 (its RBAC authorizer has not loaded the roles yet) or 401 for a
 * few seconds: those are retried too, but only for `refusedWithinMs` — a real RBAC mistake must still fail soon.
 *
 * Only for calls that are safe to repeat: reads, and creates whose 409 the caller takes as success.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { apiStatus } from './client.js';

/** An API server restarted (or briefly cut off) answers nothing, 5xx or 429 for seconds; those pass. */
export function isTransientApiError(err: unknown): boolean {
  const status = apiStatus(err);
  if (status !== undefined) return status === 429 || status >= 500;
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { name?: unknown; type?: unknown; code?: unknown; message?: unknown };
  // node-fetch (client-node's transport): FetchError type `system` for socket errors (ECONNREFUSED, ECONNRESET…).
  if (e.name === 'FetchError') return e.type === 'system' || e.type === 'request-timeout' || e.type === 'body-timeout';
  if (typeof e.code === 'string' && /^(E[A-Z]+|UND_ERR_\w+)$/.test(e.code)) return true;
  return typeof e.message === 'string' && /premature close|socket hang up|other side closed/i.test(e.message);
}

/** 401/403: what a just-started API server answers until its authenticator and authorizer caught up. */
export const isStartupRefusal = (err: unknown) => apiStatus(err) === 401 || apiStatus(err) === 403;

export interface RetryPolicy {
  /** Give up once this long has passed since the first attempt (default 120 s: an API server restart plus slack). */
  withinMs?: number;
  /** 401 and 403 are retried until this long after the first attempt (default 30 s). */
  refusedWithinMs?: number;
  /** First pause; doubled each time up to `maxDelayMs` (defaults 250 ms and 5 s). */
  firstDelayMs?: number;
  maxDelayMs?: number;
  /** Told about each retried failure (for the hook's output). */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
}

export async function retryTransient<T>(call: () => Promise<T>, policy: RetryPolicy = {}): Promise<T> {
  const started = Date.now();
  const deadline = started + (policy.withinMs ?? 120_000);
  const refusedDeadline = started + Math.min(policy.refusedWithinMs ?? 30_000, policy.withinMs ?? 120_000);
  const maxDelay = policy.maxDelayMs ?? 5_000;
  let delay = policy.firstDelayMs ?? 250;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      const until = isTransientApiError(err) ? deadline : isStartupRefusal(err) ? refusedDeadline : 0;
      if (Date.now() + delay > until) throw err;
      policy.onRetry?.(err, attempt, delay);
      await sleep(delay);
      delay = Math.min(delay * 2, maxDelay);
    }
  }
}

/**
 * `api` with every method call going through `retryTransient` (client-node's generated APIs return a promise from
 * each method). Use it only for the read-only clients of a process that makes no writes through them.
 */
export function retryingReads<T extends object>(api: T, policy: RetryPolicy = {}): T {
  return new Proxy(api, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) =>
        retryTransient(() => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args), policy);
    },
  });
}
