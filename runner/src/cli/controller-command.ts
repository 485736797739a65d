/** `eci-virtual controller`: the GitHub side — webhooks + polling in, one job pod per queued job out. */
import { loadControllerConfig } from '../controller/config.js';
import { startImageCacheAutopilot } from './autopilot-service.js';
import { describeHistory, openJobHistory } from '../controller/history/open-history.js';
import type { JobHistoryStore } from '../controller/history/job-history-store.js';
import { GitHubClient } from '../controller/github/github-client.js';
import { startHttpServer } from '../controller/http-server.js';
import { WebhookHandler } from '../controller/intake/webhook-handler.js';
import { createControllerMetrics } from '../controller/metrics.js';
import { PortalApi } from '../controller/portal-api/routes.js';
import { ControllerReplica } from '../controller/replica.js';
import { loadKubeConfig, makeClients } from '../kube/client.js';
import { createLogger } from '../observability/logger.js';
import { intFlag, parseFlags } from './flags.js';

export const controllerUsage = `eci-virtual controller [options]
  --config PATH        controller config (YAML; see docs/controller.md). Secrets come from env or mounted files:
                       GITHUB_APP_PRIVATE_KEY | GITHUB_TOKEN, ECI_VIRTUAL_WEBHOOK_SECRET, ECI_VIRTUAL_PORTAL_TOKEN
  --kubeconfig PATH    default: $KUBECONFIG, in-cluster, ~/.kube/config
  --port N             listen port (overrides listen.port; default 8080)`;

export async function controllerCommand(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, {
    config: { type: 'string' },
    kubeconfig: { type: 'string' },
    port: { type: 'string' },
  });
  const config = loadControllerConfig(values.config);
  if (values.port !== undefined) config.listen.port = intFlag(values.port, 'port', 8080);
  const log = createLogger({ component: 'controller' });
  const kube = makeClients(loadKubeConfig(values.kubeconfig));
  const metrics = createControllerMetrics();
  const github = new GitHubClient({
    apiUrl: config.apiUrl,
    auth: config.auth,
    log,
    onResponse: (r) => {
      metrics.githubCalls.inc({ route: r.route, status: String(r.status) });
      if (r.remaining !== undefined) metrics.githubRateLimitRemaining.set(r.remaining);
    },
  });
  const history = await openJobHistory(config.history, config.prices).then(
    (h): JobHistoryStore | undefined => {
      log.info('job history open', describeHistory(config.history));
      return h;
    },
    (err: unknown) => {
      // Records then stay in ConfigMaps (pruned after recordsTtlDays), as before the database existed.
      log.error('job history unavailable; job records are kept in ConfigMaps only', {
        ...describeHistory(config.history),
        err: (err as Error).message,
      });
      return undefined;
    },
  );
  const pilot = startImageCacheAutopilot(config, { history, github, log, metrics });
  const replica = new ControllerReplica({ config, kube, github, log, metrics, history, autopilot: pilot?.autopilot });
  const webhook = new WebhookHandler(config.webhookSecret, replica, log, metrics);
  const portal = new PortalApi({
    config,
    records: replica.records,
    history,
    github,
    log,
    kube,
    ...(pilot ? { autopilot: { list: pilot.list, isLeader: () => replica.isLeader } } : {}),
  });
  const server = await startHttpServer({
    ...config.listen,
    webhook,
    portal,
    ...(config.workloads.controllerUrl ? { workloads: replica.workloads } : {}),
    metrics,
    ready: () => replica.isReady,
    log,
  });
  const address = server.address();
  log.info('controller listening', {
    port: typeof address === 'object' && address ? address.port : config.listen.port,
    namespace: config.namespace,
    labels: config.labels,
    identity: config.leaderElection.identity,
    leaderElection: config.leaderElection.enabled,
  });
  const abort = new AbortController();
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.once(sig, () => {
      log.info('shutting down', { signal: sig });
      abort.abort();
    });
  await replica.run(abort.signal);
  await new Promise((resolve) => server.close(resolve));
  await pilot?.stop().catch(() => undefined);
  await history?.close().catch(() => undefined);
  return 0;
}
