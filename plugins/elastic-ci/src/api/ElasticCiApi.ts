import { createApiRef } from '@backstage/core-plugin-api';
import type { AggregatesResponse, AutopilotResponse, JobsResponse, SettingsResponse } from '@eci-virtual/contract';

/**
 * Options for {@link ElasticCiApi.getJobs}.
 *
 * @public
 */
export interface GetJobsOptions {
  /** Only jobs queued at or after this instant (ISO-8601). */
  since?: string;
  /** At most this many jobs, newest first (the controller caps it at 500). */
  limit?: number;
  signal?: AbortSignal;
}

/**
 * Options for {@link ElasticCiApi.getAggregates}.
 *
 * @public
 */
export interface GetAggregatesOptions {
  /** The last this many UTC days, today included (the controller's default is 30, its maximum 366). */
  days?: number;
  /** Only this repository (`owner/name`) in `perRepositoryDay`; by default every repository. */
  repository?: string;
  signal?: AbortSignal;
}

/**
 * Reads the eci-virtual controller's portal API for one repository.
 *
 * Contract: every method resolves with the parsed JSON body of a 2xx answer; it rejects with a `ResponseError`
 * (from `@backstage/errors`) for any other status, with an {@link ElasticCiInvalidResponseError} when a 2xx
 * body is not the JSON the contract describes, and with an {@link ElasticCiNetworkError} when no answer could be
 * read at all; an abort through `signal` rejects with the `AbortError` as `fetch` does. `repo` is `owner/name` and is
 * sent URL-encoded.
 *
 * @public
 */
export interface ElasticCiApi {
  getJobs(repo: string, options?: GetJobsOptions): Promise<JobsResponse>;
  getSettings(repo: string, options?: { signal?: AbortSignal }): Promise<SettingsResponse>;
  /** Cost and queue-time percentiles per day: of `repo`, and per repository (`/v1/aggregates`). */
  getAggregates(repo: string, options?: GetAggregatesOptions): Promise<AggregatesResponse>;
  /** What the image-cache autopilot decided for `repo`, and why (`/v1/image-cache/autopilot`). */
  getAutopilot(repo: string, options?: { signal?: AbortSignal }): Promise<AutopilotResponse>;
}

/**
 * The API reference for {@link ElasticCiApi}.
 *
 * @public
 */
export const elasticCiApiRef = createApiRef<ElasticCiApi>({ id: 'plugin.elastic-ci.service' });
