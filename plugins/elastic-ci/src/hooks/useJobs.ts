import { useApi } from '@backstage/core-plugin-api';
import { useCallback } from 'react';
import { elasticCiApiRef } from '../api/ElasticCiApi.js';
import type {
  AggregatesResponse,
  AutopilotResponse,
  JobRecord,
  JobsResponse,
  SettingsResponse,
} from '@eci-virtual/contract';
import { usePolled, type PolledState } from './usePolled.js';

const ACTIVE: ReadonlySet<JobRecord['status']> = new Set(['queued', 'pending', 'running']);

/** Whether a jobs answer still has something moving, i.e. the tab should keep refreshing. */
export function hasActiveJobs(response: JobsResponse): boolean {
  return response.summary.running > 0 || response.jobs.some((job) => ACTIVE.has(job.status));
}

/** The repository's jobs, refreshed every `refreshIntervalMs` while any job is queued, pending or running. */
export function useJobs(repo: string, refreshIntervalMs: number): PolledState<JobsResponse> {
  const api = useApi(elasticCiApiRef);
  const load = useCallback((signal: AbortSignal) => api.getJobs(repo, { signal }), [api, repo]);
  return usePolled(`jobs:${repo}`, load, { intervalMs: refreshIntervalMs, shouldRefresh: hasActiveJobs });
}

/** The repository's effective settings (image cache, placement); loaded once. */
export function useSettings(repo: string): PolledState<SettingsResponse> {
  const api = useApi(elasticCiApiRef);
  const load = useCallback((signal: AbortSignal) => api.getSettings(repo, { signal }), [api, repo]);
  return usePolled(`settings:${repo}`, load, { intervalMs: 0, shouldRefresh: () => false });
}

/**
 * The last `days` UTC days of cost and queue time, per day and per repository. Loaded once, and again every
 * `refreshIntervalMs` for as long as `active()` holds when a load settles (the tab passes "jobs are running").
 */
export function useAggregates(
  repo: string,
  days: number,
  refreshIntervalMs: number,
  active: () => boolean,
): PolledState<AggregatesResponse> {
  const api = useApi(elasticCiApiRef);
  const load = useCallback((signal: AbortSignal) => api.getAggregates(repo, { days, signal }), [api, repo, days]);
  return usePolled(`aggregates:${repo}:${days}`, load, { intervalMs: refreshIntervalMs, shouldRefresh: active });
}

/** The image-cache autopilot's decisions for the repository; loaded once (the panel's Reload asks again). */
export function useAutopilot(repo: string): PolledState<AutopilotResponse> {
  const api = useApi(elasticCiApiRef);
  const load = useCallback((signal: AbortSignal) => api.getAutopilot(repo, { signal }), [api, repo]);
  return usePolled(`autopilot:${repo}`, load, { intervalMs: 0, shouldRefresh: () => false });
}
