/**
 * The Backstage "Elastic CI" tab in a real browser against the real controller: jobs really run through the
 * controller on the test cluster's virtual node (GitHub emulator → webhook → job pod → hooks → completed), then the
 * plugin's dev page — the tab inside a Backstage app built with Backstage's app shell (`createApp` of
 * @backstage/app-defaults, the plugin with its own API factory over the app's DiscoveryApi and FetchApi), bundled
 * with esbuild and served on 127.0.0.1 with a stand-in for the Backstage proxy that adds the portal token — is opened
 * in Debian's Chromium via playwright-core. The test compares what the tab shows (jobs, queue breakdown bars, cost per
 * day, queue-time trend) with the controller's own /v1/jobs and /v1/aggregates answers, checks the per-phase queue
 * histogram on the controller's /metrics, and saves its screenshots under .local/test-logs (ignored: a test run
 * leaves the working tree as it was). With ECI_VIRTUAL_README_SCREENSHOT=1 (`yarn screenshot`) it then, once every check has
 * passed, copies the tab's picture over the one the plugin README shows (plugins/elastic-ci/docs/elastic-ci-tab.png).
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../scripts/lib/paths.js';
import { QUEUE_PHASES, type AggregatesResponse, type JobsResponse } from '@eci-virtual/contract';
import { renderTabScreenshot, serveDevPage } from '../../../plugins/elastic-ci/dev/browser.js';
import { bundleDevPage } from '../../../plugins/elastic-ci/dev/bundle.mjs';
import { formatMs, formatUsd } from '../../../plugins/elastic-ci/src/format.js';
import type { EmuJob } from '../github-emulator/state.js';
import { ControllerStack, PORTAL_TOKEN } from '../harness/controller-stack.js';
import { readTestEnv } from '../harness/env.js';
import { startTestNode, stopTestNode, type TestNode } from '../harness/test-node.js';
import { until } from '../harness/until.js';

jest.setTimeout(300_000);

const REPO = 'octo-org/portal-demo';
const WORKFLOW = `name: CI
on: push
jobs:
  build:
    runs-on: [self-hosted, eci-virtual, eci-bind-portal-build]
    container: { image: IMAGE }
    steps: [{ run: make }]
  lint:
    runs-on: [self-hosted, eci-virtual, eci-bind-portal-lint]
    container: { image: IMAGE }
    steps: [{ run: make lint }]
`;
// The repository's settings, read by the controller at the job's head_sha: per-job placement and the image cache.
const SETTINGS = `placement: { cpu: 250m, memory: 256Mi }
jobs:
  build: { cpu: 750m, memory: 384Mi }
imageCache:
  images: [IMAGE]
  pullPolicy: IfNotPresent
`;
const SCREENSHOT = join(repoRoot, '.local/test-logs/elastic-ci-tab.png');
const README_SCREENSHOT = join(repoRoot, 'plugins/elastic-ci/docs/elastic-ci-tab.png');
const DRAWER_SCREENSHOT = join(repoRoot, '.local/test-logs/elastic-ci-drawer.png');

describe('Backstage tab against the real controller', () => {
  let t: TestNode | undefined;
  let stack: ControllerStack | undefined;
  const jobs: EmuJob[] = [];
  const images = readTestEnv().engine.images as Record<string, string>;

  beforeAll(async () => {
    t = await startTestNode('portal');
    stack = new ControllerStack({ repo: REPO, namespace: t.ns, nodeName: t.nodeName });
    await stack.start();
    for (const [name, run] of [
      ['build', 'echo building; sleep 1; echo built'],
      ['lint', 'echo "lint found 1 problem"; exit 3'],
    ] as const) {
      jobs.push(
        await stack.emulator.queueJob({
          repo: REPO,
          workflowPath: '.github/workflows/ci.yml',
          workflowText: WORKFLOW.replaceAll('IMAGE', images.busybox!),
          files: { '.github/eci-virtual.yml': SETTINGS.replace('IMAGE', images.busybox!) },
          name,
          // Exact binding (each job its own runner): the record of each job must show ITS pod's placement.
          labels: ['self-hosted', 'eci-virtual', `eci-bind-portal-${name}`],
          message: { container: { image: images.busybox! }, steps: [{ kind: 'script', name: 'run', run }] },
        }),
      );
    }
    for (const job of jobs)
      await until(async () => expect(stack!.emulator.state.jobs.get(job.id)!.status).toBe('completed'), 180_000);
    const outcomes = jobs.map((j) => stack!.emulator.state.jobs.get(j.id)!);
    process.stderr.write(`[portal] ${JSON.stringify(outcomes.map((j) => [j.name, j.conclusion, j.results]))}\n`);
    expect(
      outcomes.map((j) => [j.name, j.conclusion, j.results.map((r) => `${r.name}=${r.exitCode}: ${r.log}`)]),
    ).toEqual([
      ['build', 'success', expect.anything()],
      ['lint', 'failure', expect.anything()],
    ]);
    // The records are final once the controller has seen both completions and the pods are gone: a pod's last
    // events (its deletion's among them) are read into its job's record after the pod is deleted. Final = the same
    // in two reads 3 s apart.
    const records = async () =>
      JSON.stringify(((await (await stack!.portal(`/v1/jobs?repo=${REPO}`)).json()) as JobsResponse).jobs);
    await until(async () => {
      const body = JSON.parse(await records()) as JobsResponse['jobs'];
      expect(body.map((j) => j.status).sort()).toEqual(['failed', 'succeeded']);
    }, 60_000);
    await until(async () => {
      const before = await records();
      await new Promise((r) => setTimeout(r, 3_000));
      expect(await records()).toBe(before);
    }, 60_000);
  });

  afterAll(async () => {
    await stack?.stop();
    await stopTestNode(t);
  });

  it('shows the jobs that ran, with their placement badges, nodes and start latency, and saves a screenshot', async () => {
    const api = (await (await stack!.portal(`/v1/jobs?repo=${REPO}`)).json()) as JobsResponse;
    const page = await serveDevPage({
      dir: await bundleDevPage({ production: true }),
      proxy: { target: stack!.url, token: PORTAL_TOKEN },
    });
    try {
      const failed = api.jobs.find((j) => j.status === 'failed')!;
      const seen = await renderTabScreenshot({
        pageUrl: `${page.url}/?repo=${REPO}`,
        screenshotPath: SCREENSHOT,
        openJob: failed.id,
        drawerScreenshotPath: DRAWER_SCREENSHOT,
      });
      expect(seen.failedRequests).toEqual([]);
      expect(seen.consoleErrors.filter((e) => !/Warning:/.test(e))).toEqual([]);
      expect(seen.state).toBe('data');
      // Inside the createApp app: every call went where the app's DiscoveryApi puts Backstage's proxy endpoint.
      expect(seen.inAppShell).toBe(true);
      const q = `repo=${encodeURIComponent(REPO)}`;
      expect([...new Set(seen.fetches)].sort()).toEqual([
        `GET /api/proxy/eci-virtual/v1/aggregates?${q}&days=30`,
        `GET /api/proxy/eci-virtual/v1/image-cache/autopilot?${q}`,
        `GET /api/proxy/eci-virtual/v1/jobs?${q}`,
        `GET /api/proxy/eci-virtual/v1/settings?${q}`,
      ]);
      expect(seen.rows.map((r) => r.id).sort()).toEqual(api.jobs.map((j) => j.id).sort());
      for (const record of api.jobs) {
        const row = seen.rows.find((r) => r.id === record.id)!;
        expect(record.node).toEqual({ name: t!.nodeName, type: 'virtual' });
        expect(row.placement).toBe('virtual');
        expect(row.nodeName).toBe(t!.nodeName);
        expect(row.href).toBe(record.htmlUrl);
        expect(record.latency.queuedToRunningMs).toBeGreaterThan(0);
        expect(row.latency.total).toBe(formatMs(record.latency.queuedToRunningMs));
        expect(row.latency.queuedToPod).toBe(formatMs(record.latency.queuedToPodMs));
        expect(row.latency.podToRunning).toBe(formatMs(record.latency.podToRunningMs));
        expect(row.cells.join(' ')).toContain(record.job);
        expect(record.estimatedCostUsd).toBeGreaterThan(0);
        expect(row.cells).toContain(formatUsd(record.estimatedCostUsd));
        // Placement from the repository's settings file, per job.
        expect(record.resources).toEqual(
          record.job === 'build' ? { cpu: '750m', memory: '384Mi' } : { cpu: '250m', memory: '256Mi' },
        );
        // The job image was already in the engine and is listed for the cache: the pod's Pulled event says so.
        expect(record.imageCache.used).toBe(true);
        expect(row.cells).toContain('hit');
        // The queue breakdown bar: the record's phases that took time, in order, from GitHub queued to the first step.
        const breakdown = record.queueBreakdown!;
        expect(breakdown.complete).toBe(true);
        expect(breakdown.phases.map((p) => p.phase)).toEqual(
          expect.arrayContaining(['webhook', 'launch', 'runner', 'setup']),
        );
        expect(breakdown.phases.reduce((sum, p) => sum + p.ms, 0)).toBe(breakdown.totalMs);
        expect(seen.queueBars[record.id]).toEqual(breakdown.phases.filter((p) => p.ms > 0));
        // The pod's own Kubernetes Events (scheduler and node) were copied into the record before the pod went.
        expect(record.events.map((e) => e.reason)).toEqual(
          expect.arrayContaining(['Scheduled', 'Pulled', 'Created', 'Started']),
        );
      }
      const sorted = api.jobs.map((j) => j.latency.queuedToRunningMs!).sort((a, b) => a - b);
      expect(api.summary.p50QueuedToRunningMs).toBeGreaterThanOrEqual(sorted[0]!);
      expect(api.summary.p95QueuedToRunningMs).toBeLessThanOrEqual(sorted[sorted.length - 1]!);
      expect(seen.summary['summary-latency']).toBe(`p50 ${formatMs(api.summary.p50QueuedToRunningMs)}`);
      expect(seen.summaryDetails['summary-latency']).toBe(`p95 ${formatMs(api.summary.p95QueuedToRunningMs)}`);
      expect(seen.summary['summary-cost']).toBe(formatUsd(api.summary.totalCostUsd));
      expect(seen.chartPoints).toBe(2);
      expect(seen.imageCache).toEqual({
        entries: [{ image: images.busybox, state: 'ready' }],
        pullPolicy: 'IfNotPresent',
        kaniko: 'disabled',
      });
      expect(seen.badges.filter((b) => b === 'virtual').length).toBeGreaterThanOrEqual(2);
      expect(seen.summary['summary-jobs7d']).toBe('2');
      expect(seen.summary['summary-virtual-share']).toBe('100%');
      // Cost per day: the history database's per-day sums are the jobs' own fees, and the panel shows them.
      const aggregates = (await (
        await stack!.portal(`/v1/aggregates?repo=${REPO}&days=30`)
      ).json()) as AggregatesResponse;
      const jobsCost = api.jobs.reduce((sum, j) => sum + j.estimatedCostUsd!, 0);
      expect(aggregates.perDay.reduce((n, d) => n + d.jobs, 0)).toBe(2);
      expect(aggregates.perDay.reduce((sum, d) => sum + d.costUsd, 0)).toBeCloseTo(jobsCost, 6);
      expect(seen.costPerDay.bars).toEqual(Object.fromEntries(aggregates.perDay.map((d) => [d.day, d.costUsd])));
      expect(seen.costPerDay.rows.map((r) => [r[0], r[1], r[3]])).toEqual(
        [...aggregates.perDay].reverse().map((d) => [d.day, String(d.jobs), formatUsd(d.costUsd)]),
      );
      expect(seen.costPerDay.total).toBe(formatUsd(aggregates.perDay.reduce((sum, d) => sum + d.costUsd, 0)));
      // Queue-time trend of this repository: per day, the nearest-rank p50/p95 of the jobs' queued → running.
      expect(seen.queueTrend.repository).toBe(REPO);
      const perDayQueue = new Map<string, number[]>();
      for (const j of api.jobs) {
        const day = j.timestamps.queuedAt.slice(0, 10);
        perDayQueue.set(
          day,
          [...(perDayQueue.get(day) ?? []), j.latency.queuedToRunningMs!].sort((a, b) => a - b),
        );
      }
      const rank = (sorted: number[], p: number) => sorted[Math.ceil((p / 100) * sorted.length) - 1]!;
      expect(seen.queueTrend.p50).toEqual(Object.fromEntries([...perDayQueue].map(([d, v]) => [d, rank(v, 50)])));
      expect(seen.queueTrend.p95).toEqual(Object.fromEntries([...perDayQueue].map(([d, v]) => [d, rank(v, 95)])));
      // The controller's /metrics: the queue histogram, one series per phase, a sample per phase of each job.
      await until(async () => {
        const metrics = await (await fetch(`${stack!.url}/metrics`)).text();
        expect(metrics).toContain('# TYPE eci_virtual_job_queue_seconds histogram');
        const counts = Object.fromEntries(
          [...metrics.matchAll(/^eci_virtual_job_queue_seconds_count\{phase="([^"]+)"\} (\d+)$/gm)].map((m) => [
            m[1]!,
            Number(m[2]),
          ]),
        );
        const expected: Record<string, number> = {};
        for (const j of api.jobs)
          for (const p of j.queueBreakdown!.phases) expected[p.phase] = (expected[p.phase] ?? 0) + 1;
        expect(counts).toEqual(expected);
        expect(Object.keys(counts).every((phase) => (QUEUE_PHASES as readonly string[]).includes(phase))).toBe(true);
      }, 30_000);
      // The drawer of the failed job: its pod's timeline from the controller's record, pod events included.
      const phases = Object.values(failed.timestamps).filter(Boolean).length;
      expect(seen.timeline?.length).toBe(phases + failed.events.length);
      for (const reason of ['Scheduled', 'Pulled', 'Started'])
        expect(seen.timeline?.some((entry) => entry.includes(reason))).toBe(true);
      process.stderr.write(
        `[portal] tab rendered ${seen.rows.length} jobs; latencies ${seen.latencies.join(', ')}; screenshot ${SCREENSHOT}\n`,
      );
      if (process.env.ECI_VIRTUAL_README_SCREENSHOT === '1') {
        copyFileSync(SCREENSHOT, README_SCREENSHOT);
        process.stderr.write(`[portal] README picture refreshed: ${README_SCREENSHOT}\n`);
      }
    } finally {
      await page.close();
    }
  });
});
