import type {
  AggregatesResponse,
  AutopilotResponse,
  JobRecord,
  JobsResponse,
  SettingsResponse,
} from '@eci-virtual/contract';

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
  makeJob({
    id: '101',
    // Queued → pod 80 ms, images ready at 1.2 s (cache), runner at 1.5 s, job assigned and first step by 2.3 s.
    queueBreakdown: {
      phases: [
        { phase: 'webhook', ms: 40 },
        { phase: 'launch', ms: 40 },
        { phase: 'images', ms: 1_120 },
        { phase: 'runner', ms: 300 },
        { phase: 'assign', ms: 500 },
        { phase: 'setup', ms: 300 },
      ],
      totalMs: 2_300,
      complete: true,
    },
  }),
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

/**
 * `/v1/aggregates?repo=acme/widgets&days=7` for the week ending on the jobs' day: acme/widgets on two days (the
 * 20th's cost is the jobs fixture's summary cost), acme/gadgets on one; `perDay` repeats acme/widgets' days.
 */
export function aggregatesResponse(): AggregatesResponse {
  const widgets = [
    {
      day: '2026-11-18',
      jobs: 4,
      billedSeconds: 720,
      costUsd: 0.0124,
      avgQueueMs: 2_000,
      queueP50Ms: 1_800,
      queueP95Ms: 4_200,
    },
    {
      day: '2026-11-20',
      jobs: 3,
      billedSeconds: 362,
      costUsd: 0.0056,
      avgQueueMs: 5_310,
      queueP50Ms: 1_500,
      queueP95Ms: 9_120,
    },
  ];
  const gadgets = [
    {
      day: '2026-11-19',
      jobs: 2,
      billedSeconds: 240,
      costUsd: 0.0042,
      avgQueueMs: 3_000,
      queueP50Ms: 2_500,
      queueP95Ms: 3_500,
    },
  ];
  return {
    repo: 'acme/widgets',
    generatedAt: '2026-11-20T12:00:05.000Z',
    from: '2026-11-14T00:00:00.000Z',
    to: '2026-11-21T00:00:00.000Z',
    perDay: widgets,
    perRepository: [
      { repo: 'acme/widgets', jobs: 7, billedSeconds: 1_082, costUsd: 0.018, avgQueueMs: 3_419 },
      { repo: 'acme/gadgets', jobs: 2, billedSeconds: 240, costUsd: 0.0042, avgQueueMs: 3_000 },
    ],
    perRepositoryDay: [
      ...gadgets.map((d) => ({ repo: 'acme/gadgets', ...d })),
      ...widgets.map((d) => ({ repo: 'acme/widgets', ...d })),
    ],
  };
}

export const autopilotResponse: AutopilotResponse = {
  repo: 'acme/widgets',
  generatedAt: '2026-03-02T10:00:00Z',
  enabled: true,
  backend: 'eci',
  leader: true,
  intervalSeconds: 600,
  budget: { maxSets: 10, maxTotalGiB: 200 },
  decisions: [
    {
      at: '2026-03-02T09:50:00Z',
      pass: 7,
      action: 'refresh',
      outcome: 'done',
      reason: 'node:20 moved (sha256:aaa → sha256:bbb): a fresh cache replaces imc-1',
      name: 'eci-virtual-auto-0a1b2c3d4e5f',
      images: ['node:20', 'runner:2'],
      setId: 'imc-1',
      createdId: 'imc-2',
      weight: 120,
    },
    {
      at: '2026-03-02T09:00:00Z',
      pass: 2,
      action: 'keep',
      outcome: 'noop',
      reason: 'serves a hot set (4 uses, weight 120)',
      name: 'eci-virtual-auto-0a1b2c3d4e5f',
      images: ['node:20', 'runner:2'],
      setId: 'imc-1',
      lastAt: '2026-03-02T09:40:00Z',
      repeats: 4,
    },
    {
      at: '2026-03-02T08:50:00Z',
      pass: 1,
      action: 'create',
      outcome: 'failed',
      reason: 'hot: 2 uses, weight 60',
      name: 'eci-virtual-auto-ffff00001111',
      images: ['python:3.12'],
      error: 'QuotaExceeded: image cache quota',
    },
  ],
};
