/** The Node object a virtual node registers, built from config and backend capacity (pure). */
import type { V1Node, V1NodeCondition } from '@kubernetes/client-node';
import {
  ANNOTATION,
  HOSTNAME_LABEL,
  ROLE_LABEL,
  VIRTUAL_NODE_LABEL,
  VIRTUAL_NODE_TAINT_KEY,
} from '@eci-virtual/contract';
import type { CachedImage, Capacity } from '../backends/backend.js';
import type { VirtualNodeConfig } from '../config.js';

/** The kubelet's default `nodeStatusMaxImages`. */
const MAX_NODE_IMAGES = 50;

export const TAINT_KEY = VIRTUAL_NODE_TAINT_KEY;

export function nodeLabels(config: VirtualNodeConfig): Record<string, string> {
  return {
    [VIRTUAL_NODE_LABEL.key]: VIRTUAL_NODE_LABEL.value,
    [ROLE_LABEL.key]: ROLE_LABEL.value,
    [HOSTNAME_LABEL]: config.nodeName,
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': process.arch === 'arm64' ? 'arm64' : 'amd64',
    'node.kubernetes.io/exclude-from-external-load-balancers': 'true',
    ...config.labels,
  };
}

export function nodeConditions(ready: boolean, now: Date, since: Date): V1NodeCondition[] {
  const condition = (type: string, status: string, reason: string, message: string): V1NodeCondition => ({
    type,
    status,
    reason,
    message,
    lastHeartbeatTime: now,
    lastTransitionTime: since,
  });
  return [
    ready
      ? condition('Ready', 'True', 'KubeletReady', 'eci-virtual virtual kubelet is ready')
      : condition('Ready', 'False', 'KubeletNotReady', 'eci-virtual virtual kubelet stopped'),
    condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'capacity comes from the backend'),
    condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'capacity comes from the backend'),
    condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'capacity comes from the backend'),
    condition('NetworkUnavailable', 'False', 'RouteCreated', 'pods use the backend network'),
  ];
}

export function capacityResources(capacity: Capacity): Record<string, string> {
  return {
    cpu: capacity.cpu,
    memory: capacity.memory,
    pods: capacity.pods,
    ...(capacity.ephemeralStorage ? { 'ephemeral-storage': capacity.ephemeralStorage } : {}),
  };
}

export function buildNode(config: VirtualNodeConfig, capacity: Capacity, backendName: string): V1Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: config.nodeName,
      labels: nodeLabels(config),
      annotations: { [ANNOTATION.nodeBackend]: backendName, 'node.alpha.kubernetes.io/ttl': '0' },
    },
    spec: { taints: [{ key: TAINT_KEY, value: config.provider, effect: 'NoSchedule' }] },
  };
}

export function buildNodeStatus(
  config: VirtualNodeConfig,
  capacity: Capacity,
  ready: boolean,
  now: Date,
  readySince: Date,
  images: readonly CachedImage[] = [],
): NonNullable<V1Node['status']> {
  const resources = capacityResources(capacity);
  return {
    capacity: resources,
    // Like the kubelet (nodeStatusMaxImages): at most 50, the largest first.
    images: [...images]
      .sort((a, b) => (b.sizeBytes ?? 0) - (a.sizeBytes ?? 0))
      .slice(0, MAX_NODE_IMAGES)
      .map((i) => ({ names: i.names, ...(i.sizeBytes !== undefined ? { sizeBytes: i.sizeBytes } : {}) })),
    allocatable: resources,
    conditions: nodeConditions(ready, now, readySince),
    addresses: [
      { type: 'InternalIP', address: config.address },
      { type: 'Hostname', address: config.nodeName },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: config.kubeletPort } },
    nodeInfo: {
      architecture: process.arch === 'arm64' ? 'arm64' : 'amd64',
      operatingSystem: 'linux',
      kubeletVersion: config.version,
      kubeProxyVersion: '',
      containerRuntimeVersion: `eci-virtual://${config.version}`,
      kernelVersion: '',
      osImage: 'eci-virtual',
      bootID: '',
      machineID: '',
      systemUUID: '',
    },
    // Lets a >= 1.36 API server send WebSockets straight to us; we keep serving SPDY for older ones.
    declaredFeatures: config.declareWebSockets ? ['ExtendWebSocketsToKubelet'] : [],
  } as NonNullable<V1Node['status']>;
}
