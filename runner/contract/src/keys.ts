/**
 * Every label, annotation and tag key eci-virtual writes, in one place: the controller, `eci-virtual run`, the
 * virtual node's backends and the portal read what another part wrote, so a key spelled twice would drift.
 * Values that go into labels pass through `labelValue` (label-value.ts).
 */

/** The prefix of every key we own. */
export const KEY_PREFIX = 'eci-virtual.dev/';

/** `app.kubernetes.io/managed-by` value on everything eci-virtual creates in Kubernetes. */
export const MANAGED_BY = 'eci-virtual';

/** Labels on job pods (and the per-job Secret, ServiceAccount, Role, RoleBinding of the controller). */
export const LABEL = {
  managedBy: 'app.kubernetes.io/managed-by',
  /** `COMPONENT.*`: what kind of eci-virtual object this is. */
  component: 'eci-virtual.dev/component',
  runId: 'eci-virtual.dev/run-id',
  jobId: 'eci-virtual.dev/job-id',
  /** The repository, encoded by `repositoryLabel` (label-value.ts). */
  repo: 'eci-virtual.dev/repo',
  /** The GitHub runner registration id of a controller job pod. */
  runnerId: 'eci-virtual.dev/runner-id',
  /** On a workload pod and its Secrets: the runner pod whose runner asked for it (workload.ts). */
  runnerPod: 'eci-virtual.dev/runner-pod',
  /** Namespaces created by the test harness and benchmarks (removed with everything in them). */
  test: 'eci-virtual.dev/test',
  /** On a webhook-delivery ConfigMap: `pending` until the leading controller replica has handled it, then `done`. */
  deliveryState: 'eci-virtual.dev/delivery-state',
} as const;

/** `LABEL.component` values. */
export const COMPONENT = {
  /** A pod of `eci-virtual run`. */
  job: 'job',
  /** A pod of the controller: the official runner plus the job's containers. */
  runnerJob: 'runner-job',
  /**
   * A workload pod of the controller (and its Secrets): the job's containers built for the job a runner actually
   * took, when that is not the job its own pod was built for (workload.ts).
   */
  workload: 'workload',
  /** A job-record ConfigMap of the controller. */
  jobRecord: 'job-record',
  /** A webhook delivery accepted by a controller replica, handed to the leader (and kept to drop redeliveries). */
  webhookDelivery: 'webhook-delivery',
} as const;

/** Annotations on job pods, job-record ConfigMaps, the JIT Secret and the Node. */
export const ANNOTATION = {
  /** Env shared by every step, as shell source, exposed to the job container through a downward-API file. */
  env: 'eci-virtual.dev/env',
  /** `owner/name` exactly (labels cannot hold a `/`). */
  repository: 'eci-virtual.dev/repository',
  workflow: 'eci-virtual.dev/workflow',
  /** The job's display name. */
  job: 'eci-virtual.dev/job',
  /** GitHub's `created_at` of the job (ISO 8601): the start of every latency figure. */
  queuedAt: 'eci-virtual.dev/queued-at',
  runnerName: 'eci-virtual.dev/runner-name',
  htmlUrl: 'eci-virtual.dev/html-url',
  /** Why the controller could not resolve every image of the job up front. */
  planProblem: 'eci-virtual.dev/plan-problem',
  /** On the JIT Secret: the runner registration it holds, so a restarted controller reuses it. */
  runnerId: 'eci-virtual.dev/runner-id',
  /** On a job-record ConfigMap: when the record may be pruned. */
  expiresAt: 'eci-virtual.dev/expires-at',
  /** The images to keep cached for this pod's repository (format in cache-images.ts). */
  cacheImages: 'eci-virtual.dev/cache-images',
  /** On the Node: the backend behind the virtual node (`docker`, `eci`). */
  nodeBackend: 'eci-virtual.dev/backend',
  /**
   * On a job pod: `prefer` — place it on spot (preemptible) capacity, and fall back to pay-as-you-go when the backend
   * has none (spot.ts). Absent: pay-as-you-go. Written by the controller from `placement.spot`.
   */
  spot: 'eci-virtual.dev/spot',
  /** On a job pod with `spot: prefer`: the highest hourly price (USD) to pay for spot capacity (`placement.spotPriceLimit`). */
  spotPriceLimit: 'eci-virtual.dev/spot-price-limit',
} as const;

/**
 * Alibaba Cloud's own pod annotations (ACK's virtual node reads the same): written by the controller, honoured by the
 * eci backend (virtual-node/backends/eci/pod-mapping.ts).
 */
export const ECI_POD_ANNOTATION = {
  /** `"true"`: the container group starts from a Ready image cache holding all its images (`AutoMatchImageCache`). */
  autoImageCache: 'k8s.aliyun.com/eci-auto-imc',
  /** ECI instance types to try, comma separated (`InstanceType`). */
  useSpecs: 'k8s.aliyun.com/eci-use-specs',
  /** One image cache to start from (`ImageSnapshotId`). */
  imageCacheId: 'k8s.aliyun.com/eci-imc-id',
} as const;

/** Labels the docker backend puts on engine containers and volumes, so a restarted node finds what is whose. */
export const ENGINE_LABEL = {
  node: 'eci-virtual.dev/node',
  namespace: 'eci-virtual.dev/pod-namespace',
  name: 'eci-virtual.dev/pod-name',
  uid: 'eci-virtual.dev/pod-uid',
  container: 'eci-virtual.dev/container',
  role: 'eci-virtual.dev/role',
  volume: 'eci-virtual.dev/volume',
  /** Position of an init or app container in the pod spec, so status keeps spec order after a node restart. */
  index: 'eci-virtual.dev/index',
} as const;

/** Tags the eci backend puts on container groups and image caches (ECI `Tag.N.Key`). */
export const ECI_TAG = {
  cluster: 'eci-virtual.dev/cluster',
  node: 'eci-virtual.dev/node',
  namespace: 'eci-virtual.dev/namespace',
  name: 'eci-virtual.dev/name',
  uid: 'eci-virtual.dev/uid',
} as const;
