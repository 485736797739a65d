/** The controller's Prometheus metrics (served on /metrics). */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface ControllerMetrics {
  registry: Registry;
  queueDepth: Gauge<never>;
  jobsTotal: Counter<'event'>;
  webhookToPodSeconds: Histogram<never>;
  queuedToRunningSeconds: Histogram<never>;
  jobQueueSeconds: Histogram<'phase'>;
  podsByPhase: Gauge<'phase'>;
  githubCalls: Counter<'route' | 'status'>;
  githubRateLimitRemaining: Gauge<never>;
  podEventReads: Counter<'source'>;
  webhooks: Counter<'event' | 'outcome'>;
  recordWriteFailures: Counter<'change'>;
  runnerSwaps: Counter;
  /** Pods the stalled-pod binder placed because the scheduler had not (scheduling/stalled-pod-binder.ts). */
  stalledPodsBound: Counter;
  jobsByShape: Counter<'relation'>;
  workloadPods: Counter;
  leader: Gauge<never>;
  leadershipTransitions: Counter<'role'>;
}

export function createControllerMetrics(): ControllerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'eci_virtual_controller_' });
  const registers = [registry];
  return {
    registry,
    queueDepth: new Gauge({
      name: 'eci_virtual_controller_queue_depth',
      help: 'Jobs waiting for a pod slot',
      registers,
    }),
    jobsTotal: new Counter({
      name: 'eci_virtual_controller_jobs_total',
      help: 'Job lifecycle events',
      labelNames: ['event'],
      registers,
    }),
    webhookToPodSeconds: new Histogram({
      name: 'eci_virtual_controller_webhook_to_pod_seconds',
      help: 'From receiving a queued job to its pod being created',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    queuedToRunningSeconds: new Histogram({
      name: 'eci_virtual_controller_queued_to_running_seconds',
      help: "From GitHub's created_at of a job to its pod running",
      buckets: [0.5, 1, 2, 3, 5, 10, 20, 30, 60, 120, 300],
      registers,
    }),
    jobQueueSeconds: new Histogram({
      name: 'eci_virtual_job_queue_seconds',
      help:
        "Time before a job's first step, by phase (webhook, launch, schedule, images, runner, assign, setup: " +
        'QUEUE_PHASES of @eci-virtual/contract), observed once per job when GitHub says it completed',
      labelNames: ['phase'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300],
      registers,
    }),
    podsByPhase: new Gauge({
      name: 'eci_virtual_controller_job_pods',
      help: 'Job pods by phase',
      labelNames: ['phase'],
      registers,
    }),
    githubCalls: new Counter({
      name: 'eci_virtual_controller_github_calls_total',
      help: 'GitHub API calls',
      labelNames: ['route', 'status'],
      registers,
    }),
    githubRateLimitRemaining: new Gauge({
      name: 'eci_virtual_controller_github_rate_limit_remaining',
      help: 'x-ratelimit-remaining of the last GitHub response',
      registers,
    }),
    podEventReads: new Counter({
      name: 'eci_virtual_controller_pod_event_reads_total',
      help: "Job pods' events read for their job records, by source: the controller's event watch, or a LIST",
      labelNames: ['source'],
      registers,
    }),
    webhooks: new Counter({
      name: 'eci_virtual_controller_webhooks_total',
      help: 'Webhook deliveries by event and outcome',
      labelNames: ['event', 'outcome'],
      registers,
    }),
    recordWriteFailures: new Counter({
      name: 'eci_virtual_controller_job_record_write_failures_total',
      help: 'Job record writes given up after their retries, by the lifecycle change they carried',
      labelNames: ['change'],
      registers,
    }),
    stalledPodsBound: new Counter({
      name: 'eci_virtual_controller_stalled_pods_bound_total',
      help: 'Pods bound to a virtual node by the controller after waiting for the scheduler longer than scheduling.bindStalledPodsAfterSeconds',
      registers,
    }),
    runnerSwaps: new Counter({
      name: 'eci_virtual_runner_swaps_total',
      help: "Jobs run by the runner of another job's pod (GitHub hands a queued job to any idle runner with its labels)",
      registers,
    }),
    jobsByShape: new Counter({
      name: 'eci_virtual_controller_jobs_by_shape_total',
      help: "Jobs by how the pod of the runner that took them relates to their shape: `same` (the runner's own pod ran them) or `rerouted` (a workload pod was built for them)",
      labelNames: ['relation'],
      registers,
    }),
    workloadPods: new Counter({
      name: 'eci_virtual_controller_workload_pods_created_total',
      help: 'Workload pods created for jobs whose runner lives in a pod of another shape',
      registers,
    }),
    leader: new Gauge({
      name: 'eci_virtual_controller_leader',
      help: '1 on the replica that leads (launches, reconciles, polls GitHub), 0 on the others',
      registers,
    }),
    leadershipTransitions: new Counter({
      name: 'eci_virtual_controller_leadership_transitions_total',
      help: 'This replica becoming leader (role=leader) or ceasing to lead (role=follower)',
      labelNames: ['role'],
      registers,
    }),
  };
}
