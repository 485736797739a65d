/**
 * The warm-set service the controller's image-cache autopilot drives, built from `imageCacheAutopilot` of its config
 * out of the virtual node's own backend modules (the controller imports no backend itself):
 *
 * - `eci`: ECI image caches (EciWarmSets) through the same ECI client as the node — Alibaba's transport and V3
 *   signing, our rate limits and retries — with credentials chosen from the environment exactly as the node chooses
 *   them (a Kubernetes Secret in the chart; their values are never logged, only their kind);
 * - `docker`: pre-pulls into the engine the virtual node runs pods on (PrepullWarmSets over an ImagePrepuller).
 *
 * `startImageCacheAutopilot` puts it together with the job history and the decision store for `eci-virtual controller`.
 */
import { credentialProvider } from '../virtual-node/backends/eci/credentials.js';
import { EciClient } from '../virtual-node/backends/eci/eci-client.js';
import { EciWarmSets } from '../virtual-node/backends/eci/eci-warm-sets.js';
import { EngineClient } from '../virtual-node/backends/docker/engine-client.js';
import { ImagePrepuller } from '../virtual-node/backends/docker/image-prepuller.js';
import { ensureImage } from '../virtual-node/backends/docker/images.js';
import { PrepullWarmSets } from '../virtual-node/backends/docker/prepull-warm-sets.js';
import type { AutopilotConfig } from '../controller/image-cache-autopilot/autopilot-config.js';
import type { WarmImageService } from '../controller/image-cache-autopilot/types.js';
import type { Logger } from '../observability/logger.js';
import type { ControllerConfig } from '../controller/config.js';
import type { GitHubClient } from '../controller/github/github-client.js';
import type { JobHistoryStore } from '../controller/history/job-history-store.js';
import type { ImageCacheAutopilot } from '../controller/image-cache-autopilot/autopilot.js';
import type { LoggedDecision } from '../controller/image-cache-autopilot/decision-log.js';
import { DecisionStore } from '../controller/image-cache-autopilot/decision-store.js';
import { createAutopilot } from '../controller/image-cache-autopilot/start-autopilot.js';
import type { ControllerMetrics } from '../controller/metrics.js';
import { MAX_DECISIONS } from '../controller/portal-api/autopilot-view.js';

export interface AutopilotService {
  service: WarmImageService;
  /** Stops background work (the docker pre-puller). */
  stop(): Promise<void>;
}

/** Throws InvalidInput (with a hint) when the eci backend is chosen and the environment holds no credentials. */
export function autopilotService(
  config: AutopilotConfig,
  log: Logger,
  env: NodeJS.ProcessEnv = process.env,
): AutopilotService {
  const l = log.child({ component: 'image-cache-autopilot', backend: config.backend });
  if (config.backend === 'docker') {
    const docker = config.docker ?? { host: 'unix:///var/run/docker.sock', quota: 100 };
    const engine = new EngineClient(docker.host);
    const prepuller = new ImagePrepuller({
      pull: (image, auths, signal) => ensureImage(engine, image, 'Always', [...auths], () => undefined, signal),
      log: l,
    });
    l.info('image cache autopilot pre-pulls into the engine', { host: docker.host, quota: docker.quota });
    return { service: new PrepullWarmSets(prepuller, docker.quota), stop: () => prepuller.stop() };
  }
  const eci = config.eci!;
  const credentials = credentialProvider(env);
  l.info('image cache autopilot keeps ECI image caches', {
    region: eci.region,
    cluster: eci.cluster,
    quota: eci.quota,
    credentials: credentials.kind,
    ...(eci.endpoint ? { endpoint: eci.endpoint } : {}),
  });
  const client = new EciClient({
    region: eci.region,
    credentials,
    ...(eci.endpoint ? { endpoint: eci.endpoint } : {}),
    ...(eci.vpcEndpoint ? { vpc: true } : {}),
    log: l,
  });
  const service = new EciWarmSets({
    client,
    node: {
      clusterName: eci.cluster,
      nodeName: 'image-cache-autopilot',
      region: eci.region,
      vSwitchId: eci.vSwitchId,
      securityGroupId: eci.securityGroupId,
      ...(eci.zoneId ? { zoneId: eci.zoneId } : {}),
    },
    quota: eci.quota,
    retentionDays: eci.retentionDays,
    sizeGiB: eci.cacheSizeGiB,
  });
  return { service, stop: () => Promise.resolve() };
}

/**
 * The image-cache autopilot when `imageCacheAutopilot.enabled`: it learns from the job history, so without one it
 * stays off (logged). Bad settings or missing ECI credentials fail the start, as any bad config does.
 */
export function startImageCacheAutopilot(
  config: ControllerConfig,
  deps: { history: JobHistoryStore | undefined; github: GitHubClient; log: Logger; metrics: ControllerMetrics },
):
  | {
      autopilot: ImageCacheAutopilot;
      /** A repository's decisions, newest first: from the job history, which every replica reads. */
      list: (repo: string) => Promise<LoggedDecision[]>;
      stop: () => Promise<void>;
    }
  | undefined {
  const c = config.imageCacheAutopilot;
  if (!c.enabled) return undefined;
  if (!deps.history) {
    deps.log.error('image cache autopilot off: it learns from the job history, which is unavailable');
    return undefined;
  }
  const { service, stop } = autopilotService(c, deps.log);
  const decisionStore = new DecisionStore({
    history: deps.history,
    identity: config.leaderElection.identity,
    log: deps.log,
  });
  const autopilot = createAutopilot({
    config,
    history: deps.history,
    github: deps.github,
    service,
    log: deps.log,
    registry: deps.metrics.registry,
    decisionStore,
  });
  deps.log.info('image cache autopilot configured; the leading replica runs it', {
    backend: c.backend,
    intervalSeconds: c.intervalMs / 1000,
    budget: { maxSets: c.budget.maxSets, maxTotalGiB: c.budget.maxTotalGiB },
    podsAutoMatch: c.backend === 'eci',
  });
  return {
    autopilot,
    list: (repo) => decisionStore.list(repo, MAX_DECISIONS),
    stop: async () => {
      await stop();
      await decisionStore.flush();
    },
  };
}
