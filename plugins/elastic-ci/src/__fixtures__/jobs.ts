import type { JobRecord, JobsResponse, SettingsResponse } from '@eci-virtual/contract';

/** Shaped exactly like the controller's answers (the contract's portal types, runner/contract/src/portal.ts). */
export function makeJob(overrides: Partial<JobRecord> & { id: string }): JobRecord {
  return {
    runId: '9001',
    runAttempt: 1,
    repo: 'acme/widgets',
    workflow: 'CI',
    job: 'build',
    htmlUrl: `https://github.com/acme/widgets/actions/runs/9001/job/${overrides.id}`,
    status: 'succeeded',
    conclusion: 'success',
    labels: ['self-hosted', 'eci-virtual'],
    pod: { namespace: 'eci-jobs', name: `job-${overrides.id}` },
    node: { name: 'virtual-kubelet-eci', type: 'virtual' },
    resources: { cpu: '2', memory: '4Gi' },
    images: ['node:20-bookworm'],
    imageCache: { used: true, id: 'imc-123', images: ['node:20-bookworm'] },
    timestamps: {
      queuedAt: '2026-11-20T10:00:00.000Z',
      podCreatedAt: '2026-11-20T10:00:00.080Z',
      runningAt: '2026-11-20T10:00:01.500Z',
      finishedAt: '2026-11-20T10:03:01.500Z',
    },
    latency: { queuedToPodMs: 80, podToRunningMs: 1420, queuedToRunningMs: 1500 },
    durationSeconds: 181.42,
    estimatedCostUsd: 0.0035,
    events: [
      {
        at: '2026-11-20T10:00:00.100Z',
        type: 'Normal',
        reason: 'Scheduled',
        message: 'Successfully assigned eci-jobs/job to virtual-kubelet-eci',
      },
      {
        at: '2026-11-20T10:00:01.200Z',
        type: 'Normal',
        reason: 'Pulled',
        message: 'Image node:20-bookworm from image cache imc-123',
      },
    ],
    ...overrides,
  };
}

/** Newest first, as the controller answers. */
export const jobs: JobRecord[] = [
  makeJob({ id: '101' }),
  makeJob({
    id: '102',
    job: 'test',
    status: 'failed',
    conclusion: 'failure',
    node: { name: 'kind-worker', type: 'regular' },
    imageCache: { used: false, images: [] },
    timestamps: {
      queuedAt: '2026-11-20T11:00:00.000Z',
      podCreatedAt: '2026-11-20T11:00:00.120Z',
      runningAt: '2026-11-20T11:00:09.120Z',
      finishedAt: '2026-11-20T11:02:00.000Z',
    },
    latency: { queuedToPodMs: 120, podToRunningMs: 9000, queuedToRunningMs: 9120 },
    durationSeconds: 119.88,
    estimatedCostUsd: 0.0021,
    events: [
      {
        at: '2026-11-20T11:00:05.000Z',
        type: 'Warning',
        reason: 'BackOff',
        message: 'Back-off pulling image "node:20-bookworm"',
      },
    ],
  }),
  makeJob({
    id: '103',
    job: 'lint',
    status: 'queued',
    conclusion: undefined,
    pod: undefined,
    node: undefined,
    imageCache: { used: false, images: [] },
    timestamps: { queuedAt: '2026-11-20T12:00:00.000Z' },
    latency: {},
    durationSeconds: undefined,
    estimatedCostUsd: undefined,
    events: [],
  }),
].reverse();

export function jobsResponse(list: JobRecord[] = jobs): JobsResponse {
  return {
    repo: 'acme/widgets',
    generatedAt: '2026-11-20T12:00:05.000Z',
    summary: {
      jobs7d: list.length,
      p50QueuedToRunningMs: 1500,
      p95QueuedToRunningMs: 9120,
      virtualShare: 0.5,
      totalCostUsd: 0.0056,
      running: list.filter((job) => job.status === 'running').length,
    },
    jobs: list,
  };
}

export const settingsResponse: SettingsResponse = {
  repo: 'acme/widgets',
  source: '.github/eci-virtual.yml@0a1b2c3',
  placement: { nodeType: 'virtual', cpu: '2', memory: '4Gi', eciSpecs: ['ecs.c7.large'] },
  imageCache: {
    images: [
      {
        image: 'node:20-bookworm',
        state: 'ready',
        id: 'imc-123',
        sizeBytes: 402_653_184,
        updatedAt: '2026-11-19T08:00:00Z',
      },
      { image: 'ghcr.io/acme/builder:1.4', state: 'creating' },
    ],
    pullPolicy: 'IfNotPresent',
    kaniko: { enabled: true, cacheRepo: 'registry.internal/acme/cache', cacheTtl: '168h' },
  },
  prices: { vcpuSecondUsd: 0.0000077, gibSecondUsd: 0.00000096 },
};
