/**
 * The controller's read-only HTTP API for the developer portal (Backstage plugin `plugins/elastic-ci`).
 * UI-shaped JSON: every figure the tab shows is computed here, so the plugin only formats.
 *
 *   GET /v1/jobs?repo=owner/name[&since=ISO-8601][&until=ISO-8601][&limit=N][&status=a,b][&workflow=W]
 *                [&conclusion=C][&after=<next of the previous page>]
 *                                                             → JobsResponse   (newest first, limit ≤ 500, default 200)
 *   GET /v1/aggregates?repo=owner/name[&days=N][&repository=owner/name]
 *                                                             → AggregatesResponse (the last N UTC days, today
 *                                                                 included; default 30, ≤ 366; `repository` narrows
 *                                                                 `perRepositoryDay` to one repository)
 *   GET /v1/settings?repo=owner/name                          → SettingsResponse
 *   Authorization: Bearer <portal token>   (401 without / with a wrong token; 400 for a bad `repo`)
 *   Errors: { "error": { "code": "invalid_input" | "unauthorized" | "not_found" | "internal", "message": string } }
 */

export type JobStatus = 'queued' | 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export type NodeType = 'virtual' | 'regular';

export interface JobTimestamps {
  /** GitHub's `created_at` of the workflow job (queued). */
  queuedAt: string;
  /** When the controller created the job pod. */
  podCreatedAt?: string;
  /** When every container of the pod was running (the first step could start). */
  runningAt?: string;
  /** When the job completed (runner exited or GitHub said completed). */
  finishedAt?: string;
}

export interface JobLatency {
  /** queued → pod created, ms */
  queuedToPodMs?: number;
  /** pod created → running, ms */
  podToRunningMs?: number;
  /** queued → running, ms (the headline "start latency") */
  queuedToRunningMs?: number;
}

/**
 * Where the time before a job's first step went, in order (each phase ends at its mark):
 *   webhook  GitHub queued the job → the controller heard of it (webhook, or the poller when it was lost)
 *   launch   → the job pod was created
 *   schedule → the pod was bound to a node
 *   images   → its images were ready (the last `Pulled` event; cache hit or pull)
 *   runner   → every container ran (the runner started)
 *   assign   → GitHub gave the runner the job (`started_at`)
 *   setup    → the job's first own step started (GitHub's step `started_at`)
 */
export const QUEUE_PHASES = ['webhook', 'launch', 'schedule', 'images', 'runner', 'assign', 'setup'] as const;
export type QueuePhase = (typeof QUEUE_PHASES)[number];

export interface QueueBreakdown {
  /**
   * The phases whose end mark is known, in order. A phase whose start mark is unknown (e.g. `schedule` after a
   * runner swap) is folded into the next phase with a known end, so the phases always add up to `totalMs`.
   */
  phases: { phase: QueuePhase; ms: number }[];
  /** GitHub queued → the last known mark, ms. */
  totalMs: number;
  /** Whether the first step's start is known (the breakdown is final). */
  complete: boolean;
}

export interface JobEvent {
  at: string;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface JobRecord {
  /** GitHub workflow job id (string to stay exact). */
  id: string;
  runId: string;
  runAttempt: number;
  repo: string;
  workflow: string;
  job: string;
  /** Link to the job on GitHub. */
  htmlUrl: string;
  status: JobStatus;
  conclusion?: string;
  labels: string[];
  pod?: { namespace: string; name: string };
  node?: { name: string; type: NodeType };
  resources: { cpu: string; memory: string };
  /** ECI spec asked for, when any (`k8s.aliyun.com/eci-use-specs`). */
  eciSpecs?: string[];
  images: string[];
  imageCache: { used: boolean; id?: string; images: string[] };
  timestamps: JobTimestamps;
  latency: JobLatency;
  /** Queued → first step, phase by phase (once the pod exists). */
  queueBreakdown?: QueueBreakdown;
  /** Pod lifetime (created → finished, or → now while running), seconds. */
  durationSeconds?: number;
  /** The fee as ECI bills it (`cost.amount`), US$ at the configured prices. */
  estimatedCostUsd?: number;
  /** How the fee was computed: the billed specification and seconds (see runner/docs/cost-and-cache.md). */
  cost?: JobCostBreakdown;
  events: JobEvent[];
  /** What the job asked of spot capacity and what happened (absent: it did not ask for spot). */
  spot?: JobSpot;
  /**
   * Every attempt of the job when the controller re-ran it after a spot reclaim, oldest first: on both attempts'
   * records (GitHub gives each attempt its own job id).
   */
  spotAttempts?: SpotAttempt[];
}

/** Spot facts of one job attempt. */
export interface JobSpot {
  /** The pod asked for spot (`placement.spot: prefer`). */
  preferred: boolean;
  /** The backend had no spot capacity and created the pod pay-as-you-go (a `SpotFallback` event). */
  fellBack?: boolean;
  /** When the reclaim notice (`SpotToBeReleased`) or the reclaim itself was seen. */
  reclaimedAt?: string;
  /** When the controller asked GitHub to re-run the job (at most once per job). */
  rerunRequestedAt?: string;
  /** The job id of the attempt this one re-runs. */
  rerunOf?: string;
}

export interface SpotAttempt {
  jobId: string;
  runAttempt: number;
  /** The attempt asked for spot. */
  spot: boolean;
  /** `reclaimed` when its spot pod was reclaimed; else the attempt's status as last known. */
  outcome: JobStatus | 'reclaimed';
  conclusion?: string;
  pod?: { namespace: string; name: string };
  reclaimedAt?: string;
}

export interface JobCostBreakdown {
  currency: string;
  /** The specification ECI bills: the request rounded up to an offered vCPU/memory pair. */
  spec: { cpu: number; memoryGiB: number };
  /** Whole seconds from the first image pull (or, without pull events, the pod's creation) to the end or now. */
  billedSeconds: number;
  startsAt: 'image-pull' | 'pod-created';
  vcpuSeconds: number;
  gibSeconds: number;
  spot: boolean;
  amount: number;
}

export interface JobsSummary {
  /** Jobs queued in the last 7 days. */
  jobs7d: number;
  p50QueuedToRunningMs?: number;
  p95QueuedToRunningMs?: number;
  /** 0..1 share of jobs (with a node) that ran on virtual nodes. */
  virtualShare?: number;
  totalCostUsd: number;
  running: number;
}

export interface JobsResponse {
  repo: string;
  generatedAt: string;
  summary: JobsSummary;
  jobs: JobRecord[];
  /** More jobs match: pass this as `after` for the next page. */
  next?: string;
}

/** Sums over jobs queued in a window (cost as stored at each job's last update: final once it finished). */
export interface HistoryTotals {
  jobs: number;
  billedSeconds: number;
  costUsd: number;
  /** Mean queued → running of the jobs that started, ms. */
  avgQueueMs?: number;
}

/** Queue time (queued → running) percentiles of the jobs of one repository and UTC day that started. */
export interface QueuePercentiles {
  /** Nearest-rank 50th percentile, ms. */
  queueP50Ms?: number;
  /** Nearest-rank 95th percentile, ms. */
  queueP95Ms?: number;
}

/** One repository on one UTC day: what its jobs cost and how long they queued. */
export interface RepositoryDayTotals extends HistoryTotals, QueuePercentiles {
  repo: string;
  /** UTC day the jobs were queued, `YYYY-MM-DD`. */
  day: string;
}

export interface AggregatesResponse {
  repo: string;
  generatedAt: string;
  /** The window, whole UTC days: [from, to). */
  from: string;
  to: string;
  /** This repository per UTC day (days without jobs left out), oldest first, with its queue-time percentiles. */
  perDay: (HistoryTotals & QueuePercentiles & { day: string })[];
  /** Every repository in the window, highest cost first. */
  perRepository: (HistoryTotals & { repo: string })[];
  /**
   * Every repository (or only `repository`) per UTC day: cost per day per repository and queue-time p50/p95 trends.
   * Ordered by repository, then day (oldest first); days without jobs left out.
   */
  perRepositoryDay: RepositoryDayTotals[];
}

export interface ImageCacheEntry {
  image: string;
  state: 'ready' | 'creating' | 'failed' | 'pending' | 'unknown';
  /** ECI image cache id, when the backend has one. */
  id?: string;
  sizeBytes?: number;
  updatedAt?: string;
}

export interface SettingsResponse {
  repo: string;
  /** Where the settings came from, e.g. `.github/eci-virtual.yml@<sha>` or `controller defaults`. */
  source: string;
  placement: {
    nodeType: NodeType;
    cpu: string;
    memory: string;
    eciSpecs?: string[];
    nodeSelector?: Record<string, string>;
    /** `prefer`: jobs go to spot capacity first, pay-as-you-go when there is none (default `never`). */
    spot?: 'prefer' | 'never';
    /** The highest hourly price (USD) paid for spot capacity. */
    spotPriceLimit?: number;
  };
  imageCache: {
    images: ImageCacheEntry[];
    pullPolicy: 'Always' | 'IfNotPresent' | 'Never';
    kaniko: { cacheRepo?: string; cacheTtl?: string; enabled: boolean };
  };
  prices: { vcpuSecondUsd: number; gibSecondUsd: number };
}

/** One decision of the image-cache autopilot, with its reason (`GET /v1/image-cache/autopilot`). */
export interface AutopilotDecision {
  /** When the pass that made it ran (ISO 8601). */
  at: string;
  pass: number;
  action: 'create' | 'refresh' | 'keep' | 'wait' | 'retire' | 'skip';
  /** What carrying it out did; `noop` for keep, wait and skip. */
  outcome: 'done' | 'failed' | 'noop';
  reason: string;
  /** The warm set's name (an ECI image cache name) and images. */
  name: string;
  images: string[];
  /** The set acted on (retire, keep, wait) or replaced (refresh). */
  setId?: string;
  /** The set created (create, refresh). */
  createdId?: string;
  /** Σ decayed uses × seconds a miss costs. */
  weight?: number;
  /** Jobs that used the image in the autopilot's window (a learnt image, e.g. a base image kaniko pulled). */
  uses?: number;
  error?: string;
  /** A no-op decision made again in later passes: the last time, and how many times again. */
  lastAt?: string;
  repeats?: number;
}

export interface AutopilotResponse {
  repo: string;
  generatedAt: string;
  /** Whether the controller runs the autopilot at all (`imageCacheAutopilot.enabled`). */
  enabled: boolean;
  /** Where it keeps images warm: ECI image caches, or pre-pulls on a docker engine. */
  backend?: 'eci' | 'docker';
  /**
   * Whether the replica that answered leads (only the leader decides; the decisions are kept in the job history, so
   * every replica answers the same).
   */
  leader: boolean;
  intervalSeconds?: number;
  budget?: { maxSets: number; maxTotalGiB: number };
  /** This repository's decisions, newest first. */
  decisions: AutopilotDecision[];
}
