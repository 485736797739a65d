/**
 * A real Kubernetes control plane as local processes on 127.0.0.1 (no kubelet nodes): etcd, kube-apiserver,
 * kube-scheduler and kube-controller-manager, plus metrics-server behind the API aggregation layer (`kubectl top`),
 * built from their Go modules by build/kube-binaries.sh and cached per version. Used by `yarn cluster`, `yarn demo`
 * and the integration tests' global setup.
 */
import { existsSync, mkdirSync, symlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { $ } from 'zx';
import { MissingTool } from '@eci-virtual/contract';
import {
  API_SERVICE,
  applyArgs,
  hostAddress,
  METRICS_SERVER_VERSION,
  metricsServerArgs,
  metricsServerManifests,
} from './metrics-server.js';
import { loadKubeConfig, makeClients } from '../../src/kube/client.js';
import { cacheDir, localDir, scriptsDir } from './paths.js';
import { ensurePki, FRONT_PROXY_CLIENT_CN, METRICS_SERVER_SERVICE, type Pki } from './pki.js';
import { probe } from './probe.js';
import { commandLine, runningPid, startDetached, stopProcess, waitUntil, type ManagedProcess } from './processes.js';
import { writeKubeconfig } from './kubeconfig.js';

export const KUBE_VERSION = process.env.KUBE_VERSION ?? 'v1.37.1';
export const ETCD_VERSION = process.env.ETCD_VERSION ?? 'v3.6.16';

const port = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
export const ports = {
  apiserver: port('ECI_VIRTUAL_APISERVER_PORT', 16443),
  etcdClient: port('ECI_VIRTUAL_ETCD_PORT', 12379),
  etcdPeer: port('ECI_VIRTUAL_ETCD_PEER_PORT', 12380),
  scheduler: port('ECI_VIRTUAL_SCHEDULER_PORT', 20259),
  controllerManager: port('ECI_VIRTUAL_CONTROLLER_MANAGER_PORT', 20257),
  metricsServer: port('ECI_VIRTUAL_METRICS_SERVER_PORT', 20443),
};

export const clusterDir = join(localDir, 'cluster');
export const kubeconfigPath = join(clusterDir, 'kubeconfig');
export const kubeBinDir = join(cacheDir, 'bin', `kubernetes-${KUBE_VERSION}`);
export const etcdBinDir = join(cacheDir, 'bin', `etcd-${ETCD_VERSION}`);
export const metricsServerBinDir = join(cacheDir, 'bin', `metrics-server-${METRICS_SERVER_VERSION}`);
/** kubectl of the same release, linked into .local/bin so `export PATH` picks it up. */
export const kubectlPath = join(localDir, 'bin', 'kubectl');

export interface ClusterInfo {
  kubeconfig: string;
  server: string;
  version: string;
  kubectl: string;
  pki: Pki;
}

export type Component = 'etcd' | 'kube-apiserver' | 'kube-scheduler' | 'kube-controller-manager' | 'metrics-server';
/** The control plane, in start order; metrics-server comes after it (it needs API objects the others serve). */
const CONTROL_PLANE: Component[] = ['etcd', 'kube-apiserver', 'kube-scheduler', 'kube-controller-manager'];
const COMPONENTS: Component[] = [...CONTROL_PLANE, 'metrics-server'];

function managed(name: Component): ManagedProcess {
  return {
    name,
    pidFile: join(clusterDir, 'run', `${name}.pid`),
    logFile: join(clusterDir, 'logs', `${name}.log`),
    // Only a process running our cached binary with our state dir counts as ours.
    marker: name,
  };
}

const server = () => `https://127.0.0.1:${ports.apiserver}`;

async function ensureBinaries(): Promise<void> {
  const needed = [
    join(etcdBinDir, 'etcd'),
    ...['kube-apiserver', 'kube-scheduler', 'kube-controller-manager', 'kubectl'].map((b) => join(kubeBinDir, b)),
    join(metricsServerBinDir, 'metrics-server'),
  ];
  if (needed.every((p) => existsSync(p))) return;
  for (const tool of ['go', 'openssl']) {
    if ((await $`command -v ${tool}`.nothrow().quiet()).exitCode !== 0) {
      throw new MissingTool(`${tool} is required to build the local control plane`, {
        hint: tool === 'go' ? 'install Go 1.26+ (golang.org/dl or your package manager)' : 'apt-get install openssl',
      });
    }
  }
  console.error(
    `building etcd ${ETCD_VERSION}, Kubernetes ${KUBE_VERSION} and metrics-server ${METRICS_SERVER_VERSION} from Go modules (cached in ${cacheDir})`,
  );
  const env = { ...process.env, KUBE_VERSION, ETCD_VERSION, METRICS_SERVER_VERSION, ECI_VIRTUAL_CACHE: cacheDir };
  const script = join(scriptsDir, 'build', 'kube-binaries.sh');
  await $({ env, stdio: 'inherit' })`bash ${script} all`;
  await $({ env, stdio: 'inherit' })`bash ${script} metrics-server`;
}

function linkKubectl(): void {
  mkdirSync(join(localDir, 'bin'), { recursive: true });
  rmSync(kubectlPath, { force: true });
  symlinkSync(join(kubeBinDir, 'kubectl'), kubectlPath);
}

function kubeconfigs(pki: Pki): Record<keyof Pki['clients'], string> {
  const paths = {
    admin: kubeconfigPath,
    scheduler: join(clusterDir, 'scheduler.kubeconfig'),
    controllerManager: join(clusterDir, 'controller-manager.kubeconfig'),
    metricsServer: join(clusterDir, 'metrics-server.kubeconfig'),
  };
  for (const [user, path] of Object.entries(paths) as [keyof typeof paths, string][]) {
    writeKubeconfig(path, { server: server(), caCert: pki.caCert, ...pki.clients[user], user });
  }
  return paths;
}

function args(component: Component, pki: Pki, kc: ReturnType<typeof kubeconfigs>): string[] {
  switch (component) {
    case 'etcd':
      return [
        '--name=eci-virtual',
        `--data-dir=${join(clusterDir, 'etcd')}`,
        `--listen-client-urls=http://127.0.0.1:${ports.etcdClient}`,
        `--advertise-client-urls=http://127.0.0.1:${ports.etcdClient}`,
        `--listen-peer-urls=http://127.0.0.1:${ports.etcdPeer}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${ports.etcdPeer}`,
        `--initial-cluster=eci-virtual=http://127.0.0.1:${ports.etcdPeer}`,
        '--unsafe-no-fsync', // test cluster: durability across power loss is not needed, speed is
        '--log-level=warn',
      ];
    case 'kube-apiserver':
      return [
        `--etcd-servers=http://127.0.0.1:${ports.etcdClient}`,
        `--cert-dir=${join(clusterDir, 'apiserver-certs')}`,
        `--tls-cert-file=${pki.apiserverCert}`,
        `--tls-private-key-file=${pki.apiserverKey}`,
        `--client-ca-file=${pki.caCert}`,
        `--secure-port=${ports.apiserver}`,
        // All addresses: pods on the local engine reach it through the bridge gateway (podHostAddress); clients
        // must still authenticate, and the serving cert names both addresses.
        '--bind-address=0.0.0.0',
        '--advertise-address=127.0.0.1',
        // The endpoint reconciler refuses loopback addresses; nothing in a local test cluster needs it.
        '--endpoint-reconciler-type=none',
        '--service-cluster-ip-range=10.0.0.0/24',
        `--service-account-issuer=${server()}`,
        `--service-account-key-file=${pki.saPub}`,
        `--service-account-signing-key-file=${pki.saKey}`,
        '--authorization-mode=Node,RBAC',
        // The API server authenticates to kubelets (our virtual node) with this cert for logs/exec/attach.
        `--kubelet-client-certificate=${pki.kubeletClientCert}`,
        `--kubelet-client-key=${pki.kubeletClientKey}`,
        '--kubelet-preferred-address-types=InternalIP,Hostname',
        // The aggregation layer (metrics.k8s.io from metrics-server): the API server proxies to aggregated API
        // servers with the front-proxy client cert and the caller's identity in these headers; the CA and allowed
        // names are published in kube-system/extension-apiserver-authentication for them to check.
        `--requestheader-client-ca-file=${pki.frontProxyCaCert}`,
        `--requestheader-allowed-names=${FRONT_PROXY_CLIENT_CN}`,
        '--requestheader-extra-headers-prefix=X-Remote-Extra-',
        '--requestheader-group-headers=X-Remote-Group',
        '--requestheader-username-headers=X-Remote-User',
        `--proxy-client-cert-file=${pki.frontProxyClient.cert}`,
        `--proxy-client-key-file=${pki.frontProxyClient.key}`,
        // Dial the EndpointSlice address, not the Service's ClusterIP: nothing routes ClusterIPs here (no kube-proxy).
        '--enable-aggregator-routing=true',
        '--allow-privileged=false',
        '--profiling=false',
        '--v=1',
      ];
    case 'kube-scheduler':
      return [
        `--kubeconfig=${kc.scheduler}`,
        `--authentication-kubeconfig=${kc.scheduler}`,
        `--authorization-kubeconfig=${kc.scheduler}`,
        '--leader-elect=false',
        '--bind-address=127.0.0.1',
        `--secure-port=${ports.scheduler}`,
        `--cert-dir=${join(clusterDir, 'scheduler-certs')}`,
      ];
    case 'kube-controller-manager':
      return [
        `--kubeconfig=${kc.controllerManager}`,
        `--authentication-kubeconfig=${kc.controllerManager}`,
        `--authorization-kubeconfig=${kc.controllerManager}`,
        '--leader-elect=false',
        '--bind-address=127.0.0.1',
        `--secure-port=${ports.controllerManager}`,
        `--cert-dir=${join(clusterDir, 'controller-manager-certs')}`,
        `--root-ca-file=${pki.caCert}`,
        `--service-account-private-key-file=${pki.saKey}`,
        `--cluster-signing-cert-file=${pki.caCert}`,
        `--cluster-signing-key-file=${pki.caKey}`,
        '--use-service-account-credentials=true',
        '--controllers=*',
      ];
    case 'metrics-server':
      return metricsServerArgs({ pki, kubeconfig: kc.metricsServer, port: ports.metricsServer });
  }
}

function binary(component: Component): string {
  if (component === 'etcd') return join(etcdBinDir, 'etcd');
  if (component === 'metrics-server') return join(metricsServerBinDir, 'metrics-server');
  return join(kubeBinDir, component);
}

function healthUrl(component: Component): string {
  switch (component) {
    case 'etcd':
      return `http://127.0.0.1:${ports.etcdClient}/health`;
    case 'kube-apiserver':
      return `${server()}/readyz`;
    case 'kube-scheduler':
      return `https://127.0.0.1:${ports.scheduler}/healthz`;
    case 'kube-controller-manager':
      return `https://127.0.0.1:${ports.controllerManager}/healthz`;
    case 'metrics-server':
      // Not /readyz: that waits for two scrapes with figures, which never come while the cluster has no node.
      return `https://127.0.0.1:${ports.metricsServer}/livez`;
  }
}

async function healthy(component: Component, pki: Pki): Promise<boolean> {
  const tls =
    component === 'kube-apiserver'
      ? { ca: pki.caCert, cert: pki.clients.admin.cert, key: pki.clients.admin.key }
      : component === 'metrics-server'
        ? { ca: pki.caCert }
        : { insecure: true };
  const res = await probe(healthUrl(component), tls);
  return res?.status === 200;
}

/** Starts whatever is not running (idempotent) and waits until every component is healthy. */
export async function ensureCluster(log: (msg: string) => void = console.error): Promise<ClusterInfo> {
  await ensureBinaries();
  linkKubectl();
  const pki = await ensurePki(join(clusterDir, 'pki'));
  const kc = kubeconfigs(pki);
  for (const component of CONTROL_PLANE) {
    const proc = managed(component);
    if (runningPid(proc) === undefined) {
      log(`starting ${component}`);
      startDetached(proc, binary(component), args(component, pki, kc));
    }
    // Each component depends on the one before it, so wait in order.
    await waitUntil(`${component} to become healthy`, () => healthy(component, pki), { timeoutMs: 90_000, proc });
  }
  // Healthy is not yet usable: the API server refuses every pod ("error looking up service account") until the
  // controller manager has created the namespace's default ServiceAccount, a moment after a fresh start.
  const kube = makeClients(loadKubeConfig(kubeconfigPath));
  await waitUntil(
    'the default ServiceAccount of namespace default',
    async () => Boolean(await kube.core.readNamespacedServiceAccount({ namespace: 'default', name: 'default' })),
    { timeoutMs: 60_000, proc: managed('kube-controller-manager') },
  );
  await ensureMetricsServer(pki, kc, log);
  return { kubeconfig: kubeconfigPath, server: server(), version: KUBE_VERSION, kubectl: kubectlPath, pki };
}

/**
 * Starts metrics-server and then registers metrics.k8s.io. Skipped, with a line saying why, when the API server cannot
 * route to it: no non-loopback address for the EndpointSlice, or an API server started (by an older checkout)
 * without the aggregation flags. An APIService the API server cannot reach leaves metrics.k8s.io unavailable, and
 * API discovery (namespace deletion, `kubectl api-resources`) fails while any aggregated API is: so the APIService is
 * applied only once metrics-server is healthy, and removed when it cannot be.
 */
async function ensureMetricsServer(pki: Pki, kc: ReturnType<typeof kubeconfigs>, log: (msg: string) => void) {
  const kubectl = join(kubeBinDir, 'kubectl');
  const unregister = () =>
    $`${kubectl} --kubeconfig ${kc.admin} delete apiservice ${API_SERVICE} --ignore-not-found`.quiet();
  const address = hostAddress();
  const aggregating = commandLine(managed('kube-apiserver'))?.includes('--enable-aggregator-routing=true') === true;
  if (address === undefined || !aggregating) {
    log(
      address === undefined
        ? 'not starting metrics-server: this host has no non-loopback IPv4 address for the API server to reach it at'
        : 'not starting metrics-server: kube-apiserver runs without the aggregation layer flags (restart it: yarn cluster down && yarn cluster up)',
    );
    await unregister();
    return;
  }
  const manifests = metricsServerManifests({ address, port: ports.metricsServer, pki });
  const apply = (input: string) => $({ input })`${kubectl} ${applyArgs(kc.admin)}`.quiet();
  // A Service's clusterIP cannot change: one made with a ClusterIP (before it was headless) is replaced.
  const { name, namespace } = METRICS_SERVER_SERVICE;
  const svc = $`${kubectl} --kubeconfig ${kc.admin} -n ${namespace} get service ${name} --ignore-not-found -o jsonpath={.spec.clusterIP}`;
  const clusterIP = (await svc.quiet()).stdout.trim();
  if (clusterIP !== '' && clusterIP !== 'None') {
    await unregister();
    await $`${kubectl} --kubeconfig ${kc.admin} -n ${namespace} delete service ${name}`.quiet();
  }
  await apply(manifests.prerequisites);
  const proc = managed('metrics-server');
  try {
    if (runningPid(proc) === undefined) {
      log('starting metrics-server');
      startDetached(proc, binary('metrics-server'), args('metrics-server', pki, kc));
    }
    await waitUntil('metrics-server to become healthy', () => healthy('metrics-server', pki), {
      timeoutMs: 60_000,
      proc,
    });
  } catch (err) {
    await unregister();
    throw err;
  }
  await apply(manifests.apiService);
}

/** Stops exactly the processes `ensureCluster` started (reverse order: metrics-server first). Returns the names it stopped. */
export async function stopCluster(): Promise<Component[]> {
  const stopped: Component[] = [];
  for (const component of [...COMPONENTS].reverse()) {
    if (await stopProcess(managed(component))) stopped.push(component);
  }
  return stopped;
}

/**
 * Stops one component (SIGTERM, SIGKILL after `graceMs`), for fault-injection runs; `ensureCluster` starts it
 * again. Returns whether it was running.
 */
export function stopClusterComponent(component: Component, graceMs = 5_000): Promise<boolean> {
  return stopProcess(managed(component), graceMs);
}

/** Removes the cluster's state (etcd data, certs, kubeconfigs); binaries stay cached. */
export async function wipeCluster(): Promise<void> {
  await stopCluster();
  rmSync(clusterDir, { recursive: true, force: true });
}

export interface ComponentStatus {
  name: Component;
  pid: number | undefined;
  healthy: boolean;
  url: string;
}

export async function clusterStatus(): Promise<ComponentStatus[]> {
  const pkiReady = existsSync(join(clusterDir, 'pki', 'admin.crt'));
  const pki = pkiReady ? await ensurePki(join(clusterDir, 'pki')) : undefined;
  return Promise.all(
    COMPONENTS.map(async (name) => {
      const pid = runningPid(managed(name));
      return {
        name,
        pid,
        healthy: pid !== undefined && pki !== undefined && (await healthy(name, pki)),
        url: healthUrl(name),
      };
    }),
  );
}
