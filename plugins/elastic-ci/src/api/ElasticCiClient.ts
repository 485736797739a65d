import type { DiscoveryApi, FetchApi } from '@backstage/core-plugin-api';
import { CustomErrorBase, ResponseError } from '@backstage/errors';
import type { ElasticCiApi, GetAggregatesOptions, GetJobsOptions } from './ElasticCiApi.js';
import type { AggregatesResponse, AutopilotResponse, JobsResponse, SettingsResponse } from '@eci-virtual/contract';

/**
 * A 2xx answer whose body is not the JSON the portal contract describes (HTML from a misrouted proxy, a truncated
 * body, a different API version).
 *
 * @public
 */
export class ElasticCiInvalidResponseError extends CustomErrorBase {
  override name = 'ElasticCiInvalidResponseError' as const;
}

/**
 * The controller could not be reached: the request failed before an HTTP answer arrived (proxy down, DNS, TLS, a
 * dropped connection, CORS) or the body of the answer could not be read. The message says which URL; `cause` is the
 * error `fetch` gave. An abort the caller asked for (through `signal`) is not one: that stays the `AbortError`.
 *
 * @public
 */
export class ElasticCiNetworkError extends CustomErrorBase {
  override name = 'ElasticCiNetworkError' as const;
}

/**
 * Where {@link ElasticCiClient} finds the controller: by default `<proxy base>/eci-virtual`, i.e. the Backstage proxy
 * endpoint `/eci-virtual` configured in app-config.
 *
 * @public
 */
export interface ElasticCiClientOptions {
  discoveryApi: Pick<DiscoveryApi, 'getBaseUrl'>;
  fetchApi: Pick<FetchApi, 'fetch'>;
  /** Path under the proxy base URL; default `/eci-virtual`. */
  proxyPath?: string;
}

/**
 * {@link ElasticCiApi} over HTTP: `discoveryApi.getBaseUrl('proxy')` + `/eci-virtual/v1/...` through `fetchApi`
 * (which adds the user's Backstage token; the proxy adds the controller's).
 *
 * @public
 */
export class ElasticCiClient implements ElasticCiApi {
  private readonly discoveryApi: Pick<DiscoveryApi, 'getBaseUrl'>;
  private readonly fetchApi: Pick<FetchApi, 'fetch'>;
  private readonly proxyPath: string;

  constructor(options: ElasticCiClientOptions) {
    this.discoveryApi = options.discoveryApi;
    this.fetchApi = options.fetchApi;
    this.proxyPath = options.proxyPath ?? '/eci-virtual';
  }

  async getJobs(repo: string, options: GetJobsOptions = {}): Promise<JobsResponse> {
    const query = new URLSearchParams({ repo });
    if (options.since !== undefined) query.set('since', options.since);
    if (options.limit !== undefined) query.set('limit', String(options.limit));
    const body = await this.get('/v1/jobs', query, options.signal);
    if (!isObject(body) || !Array.isArray(body.jobs) || !isObject(body.summary)) {
      throw new ElasticCiInvalidResponseError('The controller answered /v1/jobs without a jobs list and summary');
    }
    return body as unknown as JobsResponse;
  }

  async getSettings(repo: string, options: { signal?: AbortSignal } = {}): Promise<SettingsResponse> {
    const body = await this.get('/v1/settings', new URLSearchParams({ repo }), options.signal);
    if (!isObject(body) || !isObject(body.placement) || !isObject(body.imageCache)) {
      throw new ElasticCiInvalidResponseError('The controller answered /v1/settings without placement and imageCache');
    }
    return body as unknown as SettingsResponse;
  }

  async getAggregates(repo: string, options: GetAggregatesOptions = {}): Promise<AggregatesResponse> {
    const query = new URLSearchParams({ repo });
    if (options.days !== undefined) query.set('days', String(options.days));
    if (options.repository !== undefined) query.set('repository', options.repository);
    const body = await this.get('/v1/aggregates', query, options.signal);
    if (!isObject(body) || !Array.isArray(body.perDay) || !Array.isArray(body.perRepositoryDay)) {
      throw new ElasticCiInvalidResponseError(
        'The controller answered /v1/aggregates without perDay and perRepositoryDay lists',
      );
    }
    return body as unknown as AggregatesResponse;
  }

  async getAutopilot(repo: string, options: { signal?: AbortSignal } = {}): Promise<AutopilotResponse> {
    const body = await this.get('/v1/image-cache/autopilot', new URLSearchParams({ repo }), options.signal);
    if (!isObject(body) || typeof body.enabled !== 'boolean' || !Array.isArray(body.decisions)) {
      throw new ElasticCiInvalidResponseError(
        'The controller answered /v1/image-cache/autopilot without enabled and a decisions list',
      );
    }
    return body as unknown as AutopilotResponse;
  }

  private async get(path: string, query: URLSearchParams, signal?: AbortSignal): Promise<unknown> {
    const base = (await this.discoveryApi.getBaseUrl('proxy')).replace(/\/+$/, '');
    // URLSearchParams encodes the `/` of owner/name as %2F; the controller decodes it.
    const url = `${base}${this.proxyPath}${path}?${query.toString()}`;
    let response: Response;
    try {
      response = await this.fetchApi.fetch(url, { headers: { Accept: 'application/json' }, signal });
    } catch (error) {
      throw networkError(error, `Could not reach the eci-virtual controller at ${url}`, signal);
    }
    if (!response.ok) {
      throw await ResponseError.fromResponse(response);
    }
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw networkError(error, `Could not reach the eci-virtual controller at ${url}: the answer broke off`, signal);
    }
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new ElasticCiInvalidResponseError(`The controller answered ${path} with a body that is not JSON`, error);
    }
  }
}

/** The caller's own abort passes through unchanged; any other failure becomes an {@link ElasticCiNetworkError}. */
function networkError(error: unknown, message: string, signal: AbortSignal | undefined): unknown {
  if (signal?.aborted) return error;
  return new ElasticCiNetworkError(message, error);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
