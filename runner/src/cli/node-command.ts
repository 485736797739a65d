/** `eci-virtual node`: run a virtual node against the current kubeconfig until SIGINT/SIGTERM. */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { InvalidInput } from '@eci-virtual/contract';
import { loadKubeConfig, makeClients } from '../kube/client.js';
import { createLogger, type Logger } from '../observability/logger.js';
import type { Backend } from '../virtual-node/backends/backend.js';
import { DockerBackend } from '../virtual-node/backends/docker/docker-backend.js';
import { credentialProvider } from '../virtual-node/backends/eci/credentials.js';
import { DEFAULT_POLL_INTERVAL_MS, EciBackend } from '../virtual-node/backends/eci/eci-backend.js';
import { EciClient } from '../virtual-node/backends/eci/eci-client.js';
import type { ImageCacheSettings } from '../virtual-node/backends/eci/image-cache-manager.js';
import { defaultNodeConfig } from '../virtual-node/config.js';
import { applyHeapTuning } from '../virtual-node/heap-tuning.js';
import { VirtualNode } from '../virtual-node/virtual-node.js';
import { durationFlag, intFlag, parseFlags, parseHostPort } from './flags.js';

export const nodeUsage = `eci-virtual node --backend docker|eci [options]

  --backend docker|eci         where pods run (default docker)
  --node-name NAME             Node object name (default eci-virtual)
  --kubeconfig PATH            default: $KUBECONFIG, in-cluster, ~/.kube/config
  --address IP|auto            address the API server uses to reach this node's kubelet API, which listens on
                               all interfaces (default auto: this host's first non-loopback IPv4, e.g. the pod IP
                               when the node runs in a pod; the API server refuses to proxy to loopback, so
                               127.0.0.1 breaks 'kubectl get --raw /api/v1/nodes/N/proxy/...'; the default falls
                               back to 127.0.0.1, with a warning, on a host without one)
  --port N                     kubelet API port (default 10250; 0 picks a free port)
  --metrics-port N             plain-HTTP /metrics port (default off)
  --docker-host URL            engine for --backend docker (default $DOCKER_HOST or unix:///run/podman/podman.sock)
  --infra-image IMAGE          pod infra container image (needs sh + sleep)
  --eci-region ID              for --backend eci (required): region, e.g. cn-hangzhou
  --eci-vswitch ID             for --backend eci (required): vSwitch the container groups join
  --eci-security-group ID      for --backend eci (required): security group of the container groups
  --eci-zone ID                for --backend eci: zone (default: the vSwitch's)
  --eci-endpoint URL           for --backend eci: API endpoint (default https://eci.<region>.aliyuncs.com; e.g. the
                               test emulator); credentials come from ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET (+ optional
                               ALIBABA_CLOUD_SECURITY_TOKEN), ALIBABA_CLOUD_ROLE_ARN + _OIDC_PROVIDER_ARN +
                               _OIDC_TOKEN_FILE (ACK RRSA), ALIBABA_CLOUD_ECS_METADATA=<role> (the ECS instance's
                               RAM role) or ALIBABA_CLOUD_CREDENTIALS_FILE (STS JSON)
  --eci-vpc-endpoint           for --backend eci: use eci-vpc.<region>.aliyuncs.com (the node runs inside the VPC)
  --eci-cluster NAME           for --backend eci: cluster tag on container groups (default eci-virtual)
  --eci-poll-interval DURATION for --backend eci: how often the node asks ECI which groups changed, 1s to 60s
                               (default 2s); a longer interval spends less of the Describe quotas, and the pods'
                               status and events follow ECI that much later
  --eci-image-cache-retention-days N   for --backend eci: RetentionDays of the image caches the node creates for
                               the pods' cache-images annotation sets (default 7)
  --eci-image-cache-refresh DURATION   for --backend eci: rebuild a set's image cache once it is this old, e.g.
                               12h (default 24h; shorter than the retention)
  --no-eci-image-cache         for --backend eci: create no image caches (pods still use automatic matching)
  --cpu N --memory Q --pods N  capacity to advertise (default: the engine's)
  --label k=v                  extra node label (repeatable)
  --tls-cert-file/--tls-key-file PATH   serving cert (default: self-signed)
  --client-ca-file PATH        CAs accepted for client certs (default: the kubeconfig's cluster CA)
  --anonymous-auth             callers without a client cert or token become system:anonymous and RBAC decides
                               (as the kubelet's --anonymous-auth; default off: refused with 401)
  --delete-node-on-shutdown    remove the Node instead of leaving it NotReady
  --no-websocket-declaration   do not declare ExtendWebSocketsToKubelet (exec then arrives as SPDY/3.1)
  --pod-api-server HOST:PORT   API server address injected into containers as KUBERNETES_SERVICE_HOST/PORT
                               (needed when the cluster's service IP is not routable from the backend)
  --owner-cluster-role NAME    make this ClusterRole the Node's owner (uninstalling it garbage-collects the Node)`;

export async function nodeCommand(argv: string[]): Promise<number> {
  applyHeapTuning();
  const { values } = parseFlags(argv, {
    backend: { type: 'string', default: 'docker' },
    'node-name': { type: 'string', default: 'eci-virtual' },
    kubeconfig: { type: 'string' },
    address: { type: 'string', default: 'auto' },
    port: { type: 'string' },
    'metrics-port': { type: 'string' },
    'docker-host': { type: 'string' },
    'infra-image': { type: 'string' },
    'eci-region': { type: 'string' },
    'eci-vswitch': { type: 'string' },
    'eci-security-group': { type: 'string' },
    'eci-zone': { type: 'string' },
    'eci-endpoint': { type: 'string' },
    'eci-cluster': { type: 'string' },
    'eci-poll-interval': { type: 'string' },
    'eci-vpc-endpoint': { type: 'boolean', default: false },
    'eci-image-cache-retention-days': { type: 'string' },
    'eci-image-cache-refresh': { type: 'string' },
    'no-eci-image-cache': { type: 'boolean', default: false },
    cpu: { type: 'string' },
    memory: { type: 'string' },
    pods: { type: 'string' },
    label: { type: 'string', multiple: true },
    'tls-cert-file': { type: 'string' },
    'tls-key-file': { type: 'string' },
    'client-ca-file': { type: 'string' },
    'anonymous-auth': { type: 'boolean', default: false },
    'delete-node-on-shutdown': { type: 'boolean', default: false },
    'no-websocket-declaration': { type: 'boolean', default: false },
    'pod-api-server': { type: 'string' },
    'owner-cluster-role': { type: 'string' },
  });
  const podApiServer = values['pod-api-server'] ? parseHostPort(values['pod-api-server'], 'pod-api-server') : undefined;
  const nodeName = values['node-name'];
  if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(nodeName))
    throw new InvalidInput(`--node-name "${nodeName}" is not a valid Kubernetes node name`);
  const labels: Record<string, string> = {};
  for (const l of values.label ?? []) {
    const [k, ...v] = l.split('=');
    if (!k || !v.length) throw new InvalidInput(`--label expects key=value, got "${l}"`);
    labels[k] = v.join('=');
  }
  const log = createLogger({ component: 'virtual-node', node: nodeName });
  const kube = makeClients(loadKubeConfig(values.kubeconfig));
  let backend: Backend;
  if (values.backend === 'docker') {
    const infraImage = values['infra-image'] ?? process.env.ECI_VIRTUAL_INFRA_IMAGE;
    if (!infraImage)
      throw new InvalidInput(
        '--infra-image is required for the docker backend (an image with /bin/sh and sleep, e.g. busybox)',
      );
    backend = new DockerBackend({
      host: values['docker-host'] ?? process.env.DOCKER_HOST ?? 'unix:///run/podman/podman.sock',
      nodeName,
      infraImage,
      capacity: {
        ...(values.cpu ? { cpu: values.cpu } : {}),
        ...(values.memory ? { memory: values.memory } : {}),
        ...(values.pods ? { pods: values.pods } : {}),
      },
      log,
    });
  } else if (values.backend === 'eci') {
    backend = eciBackendFromFlags(values, nodeName, log);
  } else {
    throw new InvalidInput(`--backend ${values.backend} is not available (supported: docker, eci)`);
  }
  const config = defaultNodeConfig({
    nodeName,
    address: nodeAddress(values.address, argv, log),
    kubeletPort: intFlag(values.port, 'port', 10250),
    anonymousAuth: values['anonymous-auth'],
    labels,
    deleteNodeOnShutdown: values['delete-node-on-shutdown'],
    declareWebSockets: !values['no-websocket-declaration'],
    ...(podApiServer ? { apiServerForPods: podApiServer } : {}),
    ...(values['owner-cluster-role']
      ? {
          owner: {
            apiVersion: 'rbac.authorization.k8s.io/v1',
            kind: 'ClusterRole',
            name: values['owner-cluster-role'],
          },
        }
      : {}),
  });
  const metricsPort =
    values['metrics-port'] === undefined ? undefined : intFlag(values['metrics-port'], 'metrics-port', 0);
  const node = new VirtualNode({
    config,
    kube,
    backend,
    log,
    tls: {
      ...(values['tls-cert-file'] ? { certFile: values['tls-cert-file'] } : {}),
      ...(values['tls-key-file'] ? { keyFile: values['tls-key-file'] } : {}),
    },
    ...(values['client-ca-file'] ? { clientCa: readFileSync(values['client-ca-file'], 'utf8') } : {}),
    ...(metricsPort !== undefined ? { metricsPort } : {}),
  });
  const abort = new AbortController();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      log.info('shutting down', { signal: sig });
      abort.abort();
    });
  }
  await node.run(abort.signal);
  return 0;
}

export interface EciFlags {
  'eci-region'?: string | undefined;
  'eci-vswitch'?: string | undefined;
  'eci-security-group'?: string | undefined;
  'eci-zone'?: string | undefined;
  'eci-endpoint'?: string | undefined;
  'eci-cluster'?: string | undefined;
  'eci-poll-interval'?: string | undefined;
  'eci-vpc-endpoint'?: boolean | undefined;
  'eci-image-cache-retention-days'?: string | undefined;
  'eci-image-cache-refresh'?: string | undefined;
  'no-eci-image-cache'?: boolean | undefined;
  cpu?: string | undefined;
  memory?: string | undefined;
  pods?: string | undefined;
}

/**
 * `--backend eci`: checks the flags and that credentials are present (their values are never printed), then builds
 * the backend. Throws InvalidInput naming the missing flag.
 */
export function eciBackendFromFlags(
  values: EciFlags,
  nodeName: string,
  log: Logger,
  env: NodeJS.ProcessEnv = process.env,
): EciBackend {
  const required = (flag: 'eci-region' | 'eci-vswitch' | 'eci-security-group', what: string): string => {
    const v = values[flag];
    if (!v) throw new InvalidInput(`--${flag} is required for the eci backend (${what})`);
    return v;
  };
  const region = required('eci-region', 'the region, e.g. cn-hangzhou');
  const vSwitchId = required('eci-vswitch', 'the vSwitch the container groups join, vsw-...');
  const securityGroupId = required('eci-security-group', 'the security group of the container groups, sg-...');
  const endpoint = values['eci-endpoint'];
  if (endpoint !== undefined && !/^https?:\/\/[^/\s]+\/?$/.test(endpoint))
    throw new InvalidInput(
      `--eci-endpoint expects a URL such as https://eci.${region}.aliyuncs.com, got "${endpoint}"`,
    );
  const imageCache = imageCacheFromFlags(values);
  const pollIntervalMs = durationFlag(values['eci-poll-interval'], 'eci-poll-interval', DEFAULT_POLL_INTERVAL_MS);
  if (pollIntervalMs < 1_000 || pollIntervalMs > 60_000)
    throw new InvalidInput(`--eci-poll-interval must be from 1s to 60s, got "${values['eci-poll-interval']}"`);
  // Fails now, with the hint, when the environment configures no credentials (they are fetched on first use).
  const credentials = credentialProvider(env);
  log.info('ECI credentials chosen', { kind: credentials.kind });
  const clusterName = values['eci-cluster'] ?? 'eci-virtual';
  return new EciBackend({
    client: new EciClient({
      region,
      credentials,
      ...(endpoint ? { endpoint } : {}),
      ...(values['eci-vpc-endpoint'] ? { vpc: true } : {}),
      log,
    }),
    node: {
      clusterName,
      nodeName,
      region,
      vSwitchId,
      securityGroupId,
      ...(values['eci-zone'] ? { zoneId: values['eci-zone'] } : {}),
    },
    capacity: {
      ...(values.cpu ? { cpu: values.cpu } : {}),
      ...(values.memory ? { memory: values.memory } : {}),
      ...(values.pods ? { pods: values.pods } : {}),
    },
    ...(imageCache ? { imageCache } : {}),
    pollIntervalMs,
    log,
  });
}

/**
 * The image cache flags → the backend's settings (undefined with `--no-eci-image-cache`). Retention is whole days,
 * 1 to 365; the refresh interval is at least 10 minutes and shorter than the retention (a cache that expires before
 * it is refreshed would leave pods without one until it is rebuilt).
 */
export function imageCacheFromFlags(
  values: Pick<EciFlags, 'eci-image-cache-retention-days' | 'eci-image-cache-refresh' | 'no-eci-image-cache'>,
): ImageCacheSettings | undefined {
  const retentionFlag = values['eci-image-cache-retention-days'];
  const refreshFlag = values['eci-image-cache-refresh'];
  if (values['no-eci-image-cache']) {
    if (retentionFlag !== undefined || refreshFlag !== undefined)
      throw new InvalidInput(
        '--eci-image-cache-retention-days/--eci-image-cache-refresh cannot be combined with --no-eci-image-cache',
        { hint: 'drop either the image cache settings or --no-eci-image-cache' },
      );
    return undefined;
  }
  const retentionDays = retentionFlag === undefined ? 7 : Number(retentionFlag);
  if (!Number.isInteger(retentionDays) || retentionDays < 1 || retentionDays > 365)
    throw new InvalidInput(
      `--eci-image-cache-retention-days must be a whole number of days from 1 to 365, got "${retentionFlag}"`,
    );
  const refreshMs = durationFlag(refreshFlag, 'eci-image-cache-refresh', 24 * 3_600_000);
  if (refreshMs < 10 * 60_000)
    throw new InvalidInput(
      `--eci-image-cache-refresh must be at least 10m (each refresh builds a new cache), got "${refreshFlag}"`,
    );
  if (refreshMs >= retentionDays * 24 * 3_600_000)
    throw new InvalidInput(
      `--eci-image-cache-refresh (${refreshFlag ?? '24h'}) must be shorter than the retention (${retentionDays} days)`,
      { hint: 'lower --eci-image-cache-refresh or raise --eci-image-cache-retention-days' },
    );
  return { retentionDays, refreshMs };
}

/**
 * `--address`, defaulting to `auto`. Only an explicit `--address auto` fails on a host without a non-loopback IPv4
 * address; the default then falls back to 127.0.0.1 (enough for pods, logs and exec on a laptop) and says what breaks.
 */
function nodeAddress(value: string, argv: string[], log: Logger): string {
  const explicit = argv.some((a) => a === '--address' || a.startsWith('--address='));
  try {
    return resolveAddress(value);
  } catch (err) {
    if (explicit) throw err;
    log.warn('no non-loopback IPv4 address: the node advertises 127.0.0.1, so the API server will not proxy to it', {
      hint: 'pass --address with an address the API server can reach',
    });
    return '127.0.0.1';
  }
}

/** `auto` → the first non-loopback IPv4 address of this host (inside a pod: the pod IP). */
export function resolveAddress(value: string, interfaces = networkInterfaces()): string {
  if (value !== 'auto') {
    if (!isIP(value)) throw new InvalidInput(`--address must be an IP address or "auto", got "${value}"`);
    return value;
  }
  for (const list of Object.values(interfaces))
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  throw new InvalidInput('--address auto: this host has no non-loopback IPv4 address');
}
