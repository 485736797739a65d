/** Settings of one virtual node process. Several nodes (different names and ports) may share one cluster. */
export interface VirtualNodeConfig {
  nodeName: string;
  /** Goes into the taint `virtual-kubelet.io/provider=<provider>:NoSchedule`. */
  provider: string;
  /** The address the API server uses to reach our kubelet API (status.addresses InternalIP). */
  address: string;
  kubeletPort: number;
  /**
   * Callers without a client certificate or token are `system:anonymous` and left to RBAC (SubjectAccessReview), as
   * with the kubelet's --anonymous-auth; off by default (refused with 401).
   */
  anonymousAuth: boolean;
  /** Extra node labels, merged over the conventional ones. */
  labels: Record<string, string>;
  /** Remove the Node object on shutdown instead of leaving it NotReady. */
  deleteNodeOnShutdown: boolean;
  /** Lease renewal interval; the lease lasts 40 s, as for kubelets. */
  leaseRenewSeconds: number;
  /** How often node status (conditions, capacity) is re-posted even without changes. */
  nodeStatusSeconds: number;
  /** Full status resync of all pods (push notifications do the fast path). */
  podResyncSeconds: number;
  version: string;
  /**
   * Declare ExtendWebSocketsToKubelet, so a >= 1.36 API server forwards exec/attach as WebSocket; without it the API
   * server speaks SPDY/3.1 to us, as every 1.30–1.35 one does.
   */
  declareWebSockets: boolean;
  /**
   * How containers reach the API server (kubelets inject KUBERNETES_SERVICE_HOST/PORT for in-cluster clients). On a
   * local engine the cluster's service IP is not routable from containers, so the node is told an address that is.
   */
  apiServerForPods?: { host: string; port: number };
  /**
   * A cluster-scoped object (kind/name, e.g. the ClusterRole a helm release installed for us) made the Node's owner,
   * so deleting the installation garbage-collects the Node even when this process cannot clean up any more.
   */
  owner?: { apiVersion: string; kind: string; name: string };
}

export const defaultNodeConfig = (overrides: Partial<VirtualNodeConfig> = {}): VirtualNodeConfig => ({
  nodeName: 'eci-virtual',
  provider: 'eci-virtual',
  address: '127.0.0.1',
  kubeletPort: 10250,
  anonymousAuth: false,
  labels: {},
  deleteNodeOnShutdown: false,
  leaseRenewSeconds: 10,
  nodeStatusSeconds: 60,
  podResyncSeconds: 30,
  version: 'v0.1.0',
  declareWebSockets: true,
  ...overrides,
});
