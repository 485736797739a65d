/**
 * `yarn bench cache` — the image-cache autopilot over a week of synthetic job history, replayed day by day in
 * simulated time on the ECI emulator (fake runtime: no containers). Seeded, so every run replays the same week.
 *
 * - Images have realistic sizes; a pod's images take 3 s + size / 8 MB/s each to pull without a cache (about what
 *   ECI takes: ~50 s for a 386 MB image), 2 s from a matching image cache; a cache takes 5 min to prepare.
 * - 8 repositories run their usual job shapes (runner + job image + services; kaniko for builds), more on weekdays,
 *   in working hours, plus a long tail of one-off images no cache can foresee. Two tags move during the week
 *   (their digests change), and the autopilot refreshes their caches.
 * - Pods ask for automatic image cache matching, as pods do when the autopilot is on. The autopilot runs every 10
 *   simulated minutes against the emulator's HTTP API (ECI's image cache actions through the product's ECI client)
 *   with job history as the records hold it: each finished job's images, image preparation time and cache use.
 * - Measured from the emulator's own record: a pod "started from a cache" when its group has the
 *   SuccessfulHitImageCache event; image prep is the Pulling → Pulled time its Pulled event reports; "over budget"
 *   counts the moments (after every simulated event) the emulator held more caches or GiB than the budget allows.
 */
import { createHash } from 'node:crypto';
import { createLogger } from '../../src/observability/logger.js';
import { ImageCacheAutopilot } from '../../src/controller/image-cache-autopilot/autopilot.js';
import type { DigestSource, ImageUse, JobHistorySource } from '../../src/controller/image-cache-autopilot/types.js';
import { EciClient } from '../../src/virtual-node/backends/eci/eci-client.js';
import { eciRateLimits } from '../../src/virtual-node/backends/eci/rate-limiter.js';
import { EciWarmSets } from '../../src/virtual-node/backends/eci/eci-warm-sets.js';
import { SimulatedClock } from '../../test/eci-emulator/clock.js';
import { FakeRuntime } from '../../test/eci-emulator/fake-runtime.js';
import { EciEmulator } from '../../test/eci-emulator/server.js';
import { percentile } from './stats.js';
import { seededRandom } from '../../test/seeded-random.js';

const DAY = 86_400_000;
const MIN = 60_000;
const START = Date.parse('2026-03-02T00:00:00Z'); // a Monday
const DAYS = 7;
const NODE = {
  clusterName: 'bench',
  nodeName: 'eci-virtual',
  region: 'cn-hangzhou',
  vSwitchId: 'vsw-b',
  securityGroupId: 'sg-b',
  zoneId: 'cn-hangzhou-k',
};
const KEY = { id: 'LTAI-bench', secret: 'bench-secret-not-real' };
const BUDGET = { maxSets: 10, maxTotalGiB: 200, maxImagesPerSet: 20, minWeight: 20 };
const QUOTA = 50;
const CACHE_GIB = 20;

/** Compressed sizes, MB (registry manifests of these tags, rounded). */
const SIZE_MB: Record<string, number> = {
  'ghcr.io/actions/actions-runner:2.329.0': 560,
  'registry.example.com/eci-virtual/hooks:0.1.0': 45,
  'node:20': 400,
  'node:22': 410,
  'python:3.12': 385,
  'golang:1.23': 300,
  'maven:3.9-eclipse-temurin-21': 310,
  'rust:1.82': 560,
  'ruby:3.3': 350,
  'mcr.microsoft.com/playwright:v1.48.0-noble': 820,
  'postgres:16': 150,
  'mysql:8.4': 170,
  'redis:7': 45,
  'gcr.io/kaniko-project/executor:v1.23.2': 30,
};
const RUNNER = ['ghcr.io/actions/actions-runner:2.329.0', 'registry.example.com/eci-virtual/hooks:0.1.0'];
const KANIKO = 'gcr.io/kaniko-project/executor:v1.23.2';

/** Repository → its job shapes (images besides the runner's) and how often each runs. */
const REPOS: { repo: string; perDay: number; shapes: { images: string[]; share: number }[] }[] = [
  {
    repo: 'acme/web',
    perDay: 22,
    shapes: [
      { images: ['node:20'], share: 0.6 },
      { images: ['mcr.microsoft.com/playwright:v1.48.0-noble'], share: 0.25 },
      { images: ['node:20', KANIKO], share: 0.15 },
    ],
  },
  {
    repo: 'acme/api',
    perDay: 16,
    shapes: [
      { images: ['golang:1.23', 'postgres:16', 'redis:7'], share: 0.7 },
      { images: ['golang:1.23', KANIKO], share: 0.3 },
    ],
  },
  {
    repo: 'acme/ml',
    perDay: 8,
    shapes: [
      { images: ['python:3.12'], share: 0.8 },
      { images: ['python:3.12', 'postgres:16'], share: 0.2 },
    ],
  },
  { repo: 'acme/billing', perDay: 8, shapes: [{ images: ['maven:3.9-eclipse-temurin-21', 'mysql:8.4'], share: 1 }] },
  { repo: 'acme/engine', perDay: 6, shapes: [{ images: ['rust:1.82'], share: 1 }] },
  { repo: 'acme/docs', perDay: 5, shapes: [{ images: ['ruby:3.3'], share: 1 }] },
  {
    repo: 'acme/sdk',
    perDay: 5,
    shapes: [
      { images: ['node:22'], share: 0.5 },
      { images: ['python:3.12'], share: 0.5 },
    ],
  },
  { repo: 'acme/infra', perDay: 3, shapes: [{ images: ['python:3.12', KANIKO], share: 1 }] },
];
/** Share of jobs using a one-off image nobody ran before (no cache can foresee it). */
const LONG_TAIL = 0.015;

const rng = seededRandom;

interface Job {
  n: number;
  repo: string;
  images: string[];
  at: number;
  minutes: number;
  groupId?: string;
}

function synthesize(random: () => number): Job[] {
  const jobs: Job[] = [];
  let n = 0;
  let oneOff = 0;
  for (let day = 0; day < DAYS; day++) {
    const weekend = day >= 5;
    for (const r of REPOS) {
      const count = Math.round(r.perDay * (weekend ? 0.2 : 1) * (0.8 + 0.4 * random()));
      for (let i = 0; i < count; i++) {
        // Working hours 08:00-19:00, a little night traffic.
        const hour = random() < 0.9 ? 8 + random() * 11 : random() * 24;
        let pick = random();
        const shape = r.shapes.find((s) => (pick -= s.share) <= 0) ?? r.shapes[0]!;
        const images =
          random() < LONG_TAIL
            ? [...RUNNER, `registry.example.com/${r.repo}/one-off:${++oneOff}`]
            : [...RUNNER, ...shape.images];
        jobs.push({
          n: ++n,
          repo: r.repo,
          images,
          at: START + day * DAY + hour * 3_600_000,
          minutes: 2 + random() * 13,
        });
      }
    }
  }
  return jobs.sort((a, b) => a.at - b.at);
}

const sizeMb = (image: string) => SIZE_MB[image] ?? 250;
const pullMs = (images: readonly string[]) => images.reduce((ms, i) => ms + 3_000 + (sizeMb(i) / 8) * 1000, 0);

/** Tags that move during the week: image → times its digest changes. */
const MOVES: Record<string, number[]> = {
  'node:20': [START + 2 * DAY + 6 * 3_600_000],
  'python:3.12': [START + 4 * DAY + 3 * 3_600_000],
};

export async function cacheBench(): Promise<void> {
  const clock = new SimulatedClock(START);
  const runtime = new FakeRuntime();
  const emu = new EciEmulator({
    runtime,
    accessKeys: { [KEY.id]: KEY.secret },
    clock,
    region: NODE.region,
    zone: NODE.zoneId,
    delays: { scheduleMs: 2_000, cachedPullMs: 2_000, imageCacheMs: 5 * MIN, pullMsFor: pullMs },
    retentionMs: 30 * MIN,
  });
  await emu.start();
  const client = new EciClient({
    region: NODE.region,
    endpoint: emu.endpoint,
    credentials: { accessKeyId: KEY.id, accessKeySecret: KEY.secret },
    backoffBaseMs: 1,
    // The published rate limits, counted in simulated time: a week's calls are spread over a week.
    limits: eciRateLimits(() => clock.now()),
  });
  const history: ImageUse[] = [];
  const historySource: JobHistorySource = {
    usesSince: (since) => Promise.resolve(history.filter((u) => u.at >= since)),
  };
  const digests: DigestSource = {
    digest: (image) => {
      const moves = (MOVES[image] ?? []).filter((t) => t <= clock.now()).length;
      return Promise.resolve(`sha256:${createHash('sha256').update(`${image}#${moves}`).digest('hex')}`);
    },
  };
  const autopilot = new ImageCacheAutopilot({
    history: historySource,
    service: new EciWarmSets({ client, node: NODE, quota: QUOTA, retentionDays: 7, sizeGiB: CACHE_GIB }),
    digests,
    budget: BUDGET,
    sizeGiB: () => CACHE_GIB,
    log: createLogger({}, { level: 'warn' }),
    now: () => clock.now(),
    intervalMs: 10 * MIN,
  });

  const jobs = synthesize(rng(20260302));
  type Ev = { at: number; kind: 'arrive' | 'end' | 'pilot'; job?: Job };
  const events: Ev[] = jobs.map((job) => ({ at: job.at, kind: 'arrive' as const, job }));
  for (let t = START; t < START + DAYS * DAY; t += 10 * MIN) events.push({ at: t, kind: 'pilot' });
  const queue = events.sort((a, b) => a.at - b.at || order(a) - order(b));
  const results: { job: Job; hit: boolean; prepSeconds: number }[] = [];
  const changes = new Map<string, number>();
  let overBudget = 0;
  let maxSets = 0;

  const checkBudget = () => {
    const caches = emu.imageCaches.list();
    const gib = caches.reduce((n, c) => n + c.sizeGiB, 0);
    maxSets = Math.max(maxSets, caches.length);
    if (caches.length > Math.min(BUDGET.maxSets, QUOTA) || gib > BUDGET.maxTotalGiB) overBudget++;
  };

  while (queue.length) {
    const ev = queue.shift()!;
    await clock.advanceTo(ev.at);
    if (ev.kind === 'pilot') {
      for (const d of (await autopilot.pass()).decisions)
        if (d.outcome === 'done') changes.set(d.action, (changes.get(d.action) ?? 0) + 1);
    } else if (ev.kind === 'arrive') {
      const job = ev.job!;
      const res = await client.call<{ ContainerGroupId: string }>('CreateContainerGroup', {
        ContainerGroupName: `job-${job.n}`,
        SecurityGroupId: NODE.securityGroupId,
        VSwitchId: NODE.vSwitchId,
        RestartPolicy: 'Never',
        Cpu: 2,
        Memory: 4,
        AutoMatchImageCache: true,
        Container: job.images.map((image, i) => ({ Name: `c${i}`, Image: image })),
        Tag: [{ Key: 'eci-virtual/repo', Value: job.repo }],
      });
      job.groupId = res.ContainerGroupId;
      insert(queue, { at: job.at + job.minutes * MIN, kind: 'end', job });
    } else {
      const job = ev.job!;
      const { ContainerGroups } = await client.call<{
        ContainerGroups: { Events: { Reason: string; Message: string }[] }[];
      }>('DescribeContainerGroups', { ContainerGroupIds: JSON.stringify([job.groupId]) });
      const events = ContainerGroups[0]?.Events ?? [];
      const hit = events.some((e) => e.Reason === 'SuccessfulHitImageCache');
      const pulled = events.find((e) => e.Reason === 'Pulled')?.Message.match(/ in ([\d.]+)s/);
      const prepSeconds = pulled ? Number(pulled[1]) : NaN;
      results.push({ job, hit, prepSeconds });
      history.push({
        repo: job.repo,
        at: job.at,
        images: job.images.map((ref) => ({
          ref,
          role: RUNNER.includes(ref) ? 'runner' : ref === KANIKO ? 'step' : 'job',
        })),
        ...(Number.isFinite(prepSeconds) ? { prepSeconds } : {}),
        fromCache: hit,
      });
      await client.call('DeleteContainerGroup', { ContainerGroupId: job.groupId! });
    }
    checkBudget();
  }
  await emu.stop();

  const count = (a: string) => changes.get(a) ?? 0;
  if (process.env.BENCH_CACHE_DECISIONS)
    for (const d of autopilot.decisions.list(
      process.env.BENCH_CACHE_DECISIONS === 'all' ? {} : { actions: ['create', 'refresh', 'retire'] },
    ))
      console.log(
        `${new Date(d.at).toISOString().slice(0, 16)} ${d.action.padEnd(7)} ${(d.repo ?? '').padEnd(12)} ` +
          `${d.images.length} images  ${d.reason}`,
      );
  const created = emu.count('CreateImageCache', 200);
  const first = results.filter((r) => r.job.at < START + DAY);
  const rest = results.filter((r) => r.job.at >= START + DAY);
  const pct = (rs: typeof results) => (100 * rs.filter((r) => r.hit).length) / Math.max(1, rs.length);
  const p95 = percentile(rest.map((r) => r.prepSeconds).filter(Number.isFinite), 95);
  const missed = rest.filter((r) => !r.hit);
  console.log(
    `replayed ${DAYS} days, ${results.length} jobs from ${REPOS.length} repositories; day 1 (learning): ` +
      `${pct(first).toFixed(1)}% of ${first.length} pods from a cache; autopilot: ${count('create')} created, ` +
      `${count('refresh')} refreshed (moved tags), ${count('retire')} retired; at most ${maxSets} caches at once ` +
      `(budget ${BUDGET.maxSets} caches / ${BUDGET.maxTotalGiB} GiB, quota ${QUOTA}); misses after day 1: ` +
      `${missed.length} (${missed.filter((r) => r.job.images.some((i) => i.includes('one-off'))).length} one-off images)`,
  );
  console.log(
    `image cache: ${pct(rest).toFixed(1)}% of pods started from a cache over ${rest.length} simulated jobs ` +
      `(${DAYS - 1} days), image prep p95 ${p95.toFixed(1)} s, caches created ${created}, over budget ${overBudget}`,
  );
}

function order(e: { kind: string }): number {
  return e.kind === 'end' ? 0 : e.kind === 'pilot' ? 1 : 2;
}

function insert<T extends { at: number; kind: string }>(queue: T[], ev: T): void {
  let i = queue.findIndex((q) => q.at > ev.at || (q.at === ev.at && order(q) > order(ev)));
  if (i < 0) i = queue.length;
  queue.splice(i, 0, ev);
}
