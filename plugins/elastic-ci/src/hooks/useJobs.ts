import { useApi } from '@backstage/core-plugin-api';
import { useCallback } from 'react';
import { elasticCiApiRef } from '../api/ElasticCiApi.js';
import type { JobRecord, JobsResponse, SettingsResponse } from '@eci-virtual/contract';
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
