/**
 * The controller's image-cache autopilot, built from its config: job history and repository settings in
 * (history-source.ts), digests from the registries (registry-digests.ts), warm sets out through the service the
 * caller hands in (ECI image caches or docker pre-pulls, built by the CLI from the virtual node's backends: the
 * controller never talks to a cloud API itself). One instance per process, so its decision log outlives a lost
 * leadership; only the leading replica `run`s it (replica.ts), each term until the term's signal aborts.
 */
import type { Registry } from 'prom-client';
import type { ControllerConfig } from '../config.js';
import type { GitHubClient } from '../github/github-client.js';
import type { JobHistoryStore } from '../history/job-history-store.js';
import { registryFor } from '../jobs/registry-for.js';
import type { Logger } from '../../observability/logger.js';
import { createAutopilotMetrics } from './autopilot-metrics.js';
import { ImageCacheAutopilot } from './autopilot.js';
import { historyImageSource, RepoOverrideCache } from './history-source.js';
import type { DecisionStore } from './decision-store.js';
import { registryDigests } from './registry-digests.js';
import type { DigestSource, WarmImageService } from './types.js';

export interface AutopilotDeps {
  config: Pick<ControllerConfig, 'imageCacheAutopilot' | 'registries'>;
  history: Pick<JobHistoryStore, 'imageUses'>;
  github: Pick<GitHubClient, 'getFileText'>;
  service: WarmImageService;
  log: Logger;
  /** The controller's metrics registry. */
  registry?: Registry;
  /** Default: the controller's registry client (`registries` of the config). */
  digests?: DigestSource;
  /** Keeps the decisions in the job history for every replica's portal (decision-store.ts). */
  decisionStore?: DecisionStore;
}

export function createAutopilot(deps: AutopilotDeps): ImageCacheAutopilot {
  const c = deps.config.imageCacheAutopilot;
  const log = deps.log.child({ backend: c.backend });
  const overrides = new RepoOverrideCache({ github: deps.github, log });
  return new ImageCacheAutopilot({
    history: historyImageSource(deps.history, overrides),
    service: deps.service,
    digests: deps.digests ?? registryDigests(registryFor(deps.config), log),
    overrides: overrides.get,
    budget: c.budget,
    ...(c.eci ? { sizeGiB: () => c.eci!.cacheSizeGiB } : {}),
    log,
    ...(deps.registry ? { metrics: createAutopilotMetrics(deps.registry) } : {}),
    intervalMs: c.intervalMs,
    windowMs: c.windowMs,
    maxChangesPerPass: c.maxChangesPerPass,
    ...(deps.decisionStore ? { onDecision: deps.decisionStore.record } : {}),
  });
}
