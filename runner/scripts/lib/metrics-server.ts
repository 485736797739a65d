/**
 * metrics-server on the local cluster: the aggregated `metrics.k8s.io` API behind `kubectl top`, run as a host
 * process like the control plane. This module says how it is started and which API objects make the API server route
 * to it (pure functions; cluster.ts runs the process and applies the objects).
 *
 * The objects are ours, written from the API reference and what metrics-server needs (not copied manifests):
 * - RBAC: metrics-server reads nodes and pods and scrapes each kubelet's /metrics/resource (`nodes/metrics`, the only
 *   kubelet endpoint v0.8 reads), delegates authentication and authorization of its own callers to the API server
 *   (`system:auth-delegator`), and reads the front-proxy CA from `kube-system/extension-apiserver-authentication`
 *   (`extension-apiserver-authentication-reader`). `system:aggregated-metrics-reader` adds read access to the metrics
 *   to the view/edit/admin roles.
 * - A headless Service without a selector plus one EndpointSlice naming this host: with --enable-aggregator-routing
 *   the API server dials the EndpointSlice's address (there is no kube-proxy to make a ClusterIP work). EndpointSlice
 *   addresses may not be loopback, so it is this host's first non-loopback IPv4 address; metrics-server listens on all
 *   addresses and authenticates every caller.
 * - The APIService, with our CA as caBundle: the aggregator verifies metrics-server's serving cert for
 *   `metrics-server.kube-system.svc`.
 */
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { METRICS_SERVER_SERVICE, METRICS_SERVER_USER, type Pki } from './pki.js';

export const METRICS_SERVER_VERSION = process.env.METRICS_SERVER_VERSION ?? 'v0.8.0';
/** How often metrics-server scrapes every node; `kubectl top` has figures after two scrapes. */
export const METRIC_RESOLUTION_SECONDS = 10;
const FIELD_MANAGER = 'eci-virtual-cluster';
const SERVICE_PORT = 443;
const PORT_NAME = 'https';

/** This host's first non-loopback IPv4 address, as the API server may dial it; undefined on a host with none. */
export function hostAddress(interfaces = networkInterfaces()): string | undefined {
  for (const list of Object.values(interfaces)) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

export function metricsServerArgs(opts: { pki: Pki; kubeconfig: string; port: number }): string[] {
  return [
    `--secure-port=${opts.port}`,
    // All addresses: the API server reaches it through the EndpointSlice's non-loopback address, which may change
    // between runs; every request is authenticated (front-proxy cert or delegated to the API server).
    '--bind-address=0.0.0.0',
    `--tls-cert-file=${opts.pki.metricsServerServing.cert}`,
    `--tls-private-key-file=${opts.pki.metricsServerServing.key}`,
    `--kubeconfig=${opts.kubeconfig}`,
    `--authentication-kubeconfig=${opts.kubeconfig}`,
    `--authorization-kubeconfig=${opts.kubeconfig}`,
    // Virtual nodes serve a self-signed kubelet cert (as the API server, metrics-server cannot verify it); the
    // client cert from the kubeconfig still authenticates metrics-server to them.
    '--kubelet-insecure-tls',
    // What a virtual node publishes: status.addresses InternalIP and Hostname, daemonEndpoints.kubeletEndpoint.Port.
    '--kubelet-preferred-address-types=InternalIP,Hostname',
    '--kubelet-use-node-status-port',
    `--metric-resolution=${METRIC_RESOLUTION_SECONDS}s`,
    // metrics-server refuses to start unless a scrape times out before the next one is due.
    `--kubelet-request-timeout=${METRIC_RESOLUTION_SECONDS / 2}s`,
    '--v=1',
  ];
}

type Obj = Record<string, unknown>;

/** Everything the API server needs to serve `metrics.k8s.io` from metrics-server at `address:port`. */
export function metricsServerObjects(opts: { address: string; port: number; caBundle: string }): Obj[] {
  const { name, namespace } = METRICS_SERVER_SERVICE;
  const user = { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: METRICS_SERVER_USER };
  const rbac = 'rbac.authorization.k8s.io/v1';
  const roleRef = (kind: 'ClusterRole' | 'Role', ref: string) => ({
    apiGroup: 'rbac.authorization.k8s.io',
    kind,
    name: ref,
  });
  return [
    {
      apiVersion: rbac,
      kind: 'ClusterRole',
      metadata: {
        name: 'system:aggregated-metrics-reader',
        labels: {
          'rbac.authorization.k8s.io/aggregate-to-view': 'true',
          'rbac.authorization.k8s.io/aggregate-to-edit': 'true',
          'rbac.authorization.k8s.io/aggregate-to-admin': 'true',
        },
      },
      rules: [{ apiGroups: ['metrics.k8s.io'], resources: ['pods', 'nodes'], verbs: ['get', 'list', 'watch'] }],
    },
    {
      apiVersion: rbac,
      kind: 'ClusterRole',
      metadata: { name: 'eci-virtual:metrics-server' },
      rules: [
        { apiGroups: [''], resources: ['nodes/metrics'], verbs: ['get'] },
        { apiGroups: [''], resources: ['pods', 'nodes'], verbs: ['get', 'list', 'watch'] },
      ],
    },
    {
      apiVersion: rbac,
      kind: 'ClusterRoleBinding',
      metadata: { name: 'eci-virtual:metrics-server' },
      roleRef: roleRef('ClusterRole', 'eci-virtual:metrics-server'),
      subjects: [user],
    },
    {
      apiVersion: rbac,
      kind: 'ClusterRoleBinding',
      metadata: { name: 'eci-virtual:metrics-server:auth-delegator' },
      roleRef: roleRef('ClusterRole', 'system:auth-delegator'),
      subjects: [user],
    },
    {
      apiVersion: rbac,
      kind: 'RoleBinding',
      metadata: { name: 'eci-virtual:metrics-server:auth-reader', namespace: 'kube-system' },
      roleRef: roleRef('Role', 'extension-apiserver-authentication-reader'),
      subjects: [user],
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace },
      spec: {
        // Headless: an API server without --enable-aggregator-routing (one started by an older checkout) dials a
        // Service's ClusterIP, which nothing routes here, so the connection would leave the machine for the default
        // gateway. With ClusterIP None it refuses instead ("cannot route to service with ClusterIP None").
        clusterIP: 'None',
        ports: [{ name: PORT_NAME, port: SERVICE_PORT, protocol: 'TCP', targetPort: opts.port }],
      },
    },
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: `${name}-host`,
        namespace,
        labels: {
          'kubernetes.io/service-name': name,
          // Not a controller's name: the EndpointSlice controllers leave slices managed by others alone.
          'endpointslice.kubernetes.io/managed-by': 'eci-virtual',
        },
      },
      addressType: 'IPv4',
      endpoints: [{ addresses: [opts.address], conditions: { ready: true } }],
      ports: [{ name: PORT_NAME, port: opts.port, protocol: 'TCP' }],
    },
    {
      apiVersion: 'apiregistration.k8s.io/v1',
      kind: 'APIService',
      metadata: { name: API_SERVICE },
      spec: {
        group: 'metrics.k8s.io',
        version: 'v1beta1',
        service: { name, namespace, port: SERVICE_PORT },
        caBundle: opts.caBundle,
        groupPriorityMinimum: 100,
        versionPriority: 100,
      },
    },
  ];
}

export const API_SERVICE = 'v1beta1.metrics.k8s.io';

/**
 * The objects as two `kubectl apply --server-side -f -` inputs (v1 Lists): what metrics-server needs to start, and
 * the APIService, to apply once it serves — until then the aggregated API would be registered but unavailable.
 */
export function metricsServerManifests(opts: { address: string; port: number; pki: Pki }): {
  prerequisites: string;
  apiService: string;
} {
  const caBundle = readFileSync(opts.pki.caCert).toString('base64');
  const objects = metricsServerObjects({ ...opts, caBundle });
  const list = (items: Obj[]) => JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
  return {
    prerequisites: list(objects.filter((o) => o.kind !== 'APIService')),
    apiService: list(objects.filter((o) => o.kind === 'APIService')),
  };
}

export const applyArgs = (kubeconfig: string) => [
  '--kubeconfig',
  kubeconfig,
  'apply',
  '--server-side',
  '--force-conflicts',
  `--field-manager=${FIELD_MANAGER}`,
  '-f',
  '-',
];
