// Browser side of the end-to-end test: drives Debian's Chromium with playwright-core (Playwright cannot download its
// own browser here), opens the dev page (dev/index.tsx, bundled by dev/bundle.mjs: the tab in a Backstage app built
// with createApp) and reads back what a user sees.
//
//   const page = await serveDevPage({ dir: await bundleDevPage(), proxy: { target: controllerUrl, token } });
//   const seen = await renderTabScreenshot({ pageUrl: `${page.url}/?repo=o/r`, screenshotPath: '.local/tab.png' });
//   await page.close();
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { dirname, extname, join, normalize, resolve } from 'node:path';
import { chromium, type Page } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * The browser's path, or an error saying how to install it. Debian's chromium comes with the project's other test
 * packages from runner/scripts/install-deps.sh (the integration tests' global setup runs it).
 */
export function ensureChromium(executablePath = CHROMIUM_PATH): string {
  if (existsSync(executablePath)) return executablePath;
  throw new Error(
    executablePath === CHROMIUM_PATH
      ? `no browser at ${executablePath}: run \`bash runner/scripts/install-deps.sh\` (installs Debian's chromium)`
      : `no browser at ${executablePath}`,
  );
}

export type TabState = 'data' | 'empty' | 'error' | 'missing-annotation';

export interface SeenJobRow {
  id: string;
  /** The row's cells, as rendered text, in column order. */
  cells: string[];
  /** "virtual" / "regular", or undefined before the job has a node. */
  placement?: string;
  nodeName?: string;
  /** Link target of the workflow/job cell. */
  href?: string;
  latency: { total?: string; queuedToPod?: string; podToRunning?: string };
}

export interface SeenTab {
  state: TabState;
  /** Whether the tab rendered inside the dev page's Backstage app (createApp's provider and router). */
  inAppShell: boolean;
  /** The page's fetch requests, as "<METHOD> <path and query>" (where the plugin's API calls went). */
  fetches: string[];
  rows: SeenJobRow[];
  /** Every placement badge on the page (table and drawer), in document order. */
  badges: string[];
  /** The latency figure of every row, e.g. "1.50 s", in row order. */
  latencies: string[];
  /** Summary cards by test id (summary-jobs7d, summary-latency, summary-virtual-share, summary-cost). */
  summary: Record<string, string>;
  /** The line under each summary card's figure (e.g. "p95 1.80 s"), by the card's test id. */
  summaryDetails: Record<string, string>;
  /** The text of the error panel, when state is "error". */
  errorText?: string;
  /** With `openJob`: the job drawer's pod timeline, one text per entry. */
  timeline?: string[];
  /** The image-cache panel: cached images with their state, the pull policy and the kaniko layer cache line. */
  imageCache: { entries: { image: string; state: string }[]; pullPolicy?: string; kaniko?: string };
  /** Points drawn in the start-latency chart. */
  chartPoints: number;
  /** Each job row's queue breakdown bar: its phases (those that took time), in order, by job id. */
  queueBars: Record<string, { phase: string; ms: number }[]>;
  /**
   * The cost-per-day panel: this repository's bar segment per day (US$, from the chart), its table rows (newest
   * first: day, jobs, billed, cost), its total and the total of every repository, as shown.
   */
  costPerDay: {
    bars: Record<string, number>;
    rows: string[][];
    total?: string;
    totalAll?: string;
    empty?: string;
    errorText?: string;
  };
  /** The queue-time trend panel: the repository shown, its p50 and p95 per day (ms) and the latest-day line. */
  queueTrend: { repository?: string; p50: Record<string, number>; p95: Record<string, number>; latest?: string };
  /** Console errors and uncaught page errors while the page rendered (React dev builds log warnings here too). */
  consoleErrors: string[];
  /** Answers with status ≥ 400 and failed requests, as "<status> <method> <url>". */
  failedRequests: string[];
  screenshotPath: string;
}

export interface RenderTabOptions {
  pageUrl: string;
  screenshotPath: string;
  /** How long to wait for the tab to settle into a state; default 30 s. */
  timeoutMs?: number;
  executablePath?: string;
  viewport?: { width: number; height: number };
  /** Then click this job's row and include its drawer (pod timeline) in the result. */
  openJob?: string;
  /** With `openJob`: where to save a picture of the open drawer (the main screenshot is taken before it opens). */
  drawerScreenshotPath?: string;
}

const LAUNCH_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/**
 * Opens `pageUrl` in headless Chromium, waits until the tab shows jobs, the empty state, an error or the missing
 * annotation state, saves a full-page screenshot and returns what is visible.
 */
export async function renderTabScreenshot(options: RenderTabOptions): Promise<SeenTab> {
  const executablePath = ensureChromium(options.executablePath);
  const browser = await chromium.launch({ executablePath, args: LAUNCH_ARGS, headless: true });
  try {
    const context = await browser.newContext({ viewport: options.viewport ?? { width: 1600, height: 1200 } });
    // Functions handed to page.evaluate are serialized as written; when this file runs through tsx/esbuild they may
    // call esbuild's `__name` helper, which the page does not have.
    await context.addInitScript('globalThis.__name = (target) => target;');
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(`pageerror: ${error.message}`));
    const failedRequests: string[] = [];
    const fetches: string[] = [];
    page.on('request', (request) => {
      if (request.resourceType() !== 'fetch') return;
      const url = new URL(request.url());
      fetches.push(`${request.method()} ${url.pathname}${url.search}`);
    });
    page.on('response', (response) => {
      if (response.status() >= 400)
        failedRequests.push(`${response.status()} ${response.request().method()} ${response.url()}`);
    });
    page.on('requestfailed', (request) =>
      failedRequests.push(`failed ${request.method()} ${request.url()}: ${request.failure()?.errorText ?? ''}`),
    );

    await page.goto(options.pageUrl, { waitUntil: 'load' });
    mkdirSync(dirname(resolve(options.screenshotPath)), { recursive: true });
    const state = await waitForState(page, options.timeoutMs ?? 30_000).catch(async (error: unknown) => {
      // Leave evidence: the picture and what the page said.
      await page.screenshot({ path: options.screenshotPath, fullPage: true }).catch(() => {});
      const body = await page.evaluate(() => document.body.innerText.slice(0, 2000)).catch(() => '');
      throw new Error(
        `the tab did not settle at ${options.pageUrl}: ${String(error)}\nconsole errors:\n${consoleErrors.join('\n')}` +
          `\nfailed requests:\n${failedRequests.join('\n')}` +
          `\npage text:\n${body}`,
      );
    });
    // Let images, fonts and the chart settle before the picture; the image-cache panel loads on its own request.
    await page.waitForLoadState('networkidle', { timeout: 5_000 }).catch(() => {});
    if (state === 'data') {
      await page.waitForSelector('[data-testid="settings-pull-policy"]', { timeout: 10_000 }).catch(() => {});
      // The trend panels load on their own request too: wait until the cost panel shows its answer (or error).
      await page
        .waitForSelector(
          '[data-testid="cost-per-day-table"], [data-testid="cost-per-day-empty"], [data-testid="cost-per-day-panel"] [role="alert"]',
          { timeout: 10_000 },
        )
        .catch(() => {});
    }

    const seen = await readTab(page);
    // The tab as a developer first sees it: no drawer over the figures.
    await page.screenshot({ path: options.screenshotPath, fullPage: true });
    let timeline: string[] | undefined;
    if (options.openJob !== undefined) {
      // The status cell: the first cell holds the GitHub link, which must not be clicked.
      await page.click(`tr[data-testid="job-row-${options.openJob}"] td:nth-child(2)`);
      await page.waitForSelector('[data-testid="job-drawer"]', { timeout: 10_000 });
      timeline = await page.$$eval('[data-testid="job-drawer"] [data-testid="timeline-entry"]', (entries) =>
        entries.map((entry) => (entry as HTMLElement).innerText.replace(/\s+/g, ' ').trim()),
      );
      await page.waitForTimeout(500); // the drawer slides in
      if (options.drawerScreenshotPath) await page.screenshot({ path: options.drawerScreenshotPath });
    }
    return {
      state,
      ...seen,
      timeline,
      consoleErrors,
      failedRequests,
      fetches,
      screenshotPath: options.screenshotPath,
    };
  } finally {
    await browser.close();
  }
}

async function waitForState(page: Page, timeoutMs: number): Promise<TabState> {
  const handle = await page.waitForFunction(
    () => {
      if (document.querySelector('[data-testid^="job-row-"]')) return 'data';
      if (document.querySelector('[data-testid="elastic-ci-missing-annotation"]')) return 'missing-annotation';
      if (document.querySelector('[data-testid="elastic-ci-empty"]')) return 'empty';
      if (document.querySelector('[data-testid="elastic-ci-error"]')) return 'error';
      return false;
    },
    undefined,
    { timeout: timeoutMs, polling: 100 },
  );
  return (await handle.jsonValue()) as TabState;
}

async function readTab(
  page: Page,
): Promise<Omit<SeenTab, 'state' | 'timeline' | 'consoleErrors' | 'failedRequests' | 'fetches' | 'screenshotPath'>> {
  return page.evaluate(() => {
    const text = (element: Element | null | undefined) => element?.textContent?.trim() || undefined;
    const rows = [...document.querySelectorAll('tr[data-testid^="job-row-"]')].map((row) => ({
      id: row.getAttribute('data-testid')!.slice('job-row-'.length),
      cells: [...row.querySelectorAll('td')].map((cell) => (cell as HTMLElement).innerText.trim()),
      placement: text(row.querySelector('[data-testid="placement-badge"]')),
      nodeName: text(row.querySelector('[data-testid="node-name"]')),
      href: row.querySelector('a')?.getAttribute('href') ?? undefined,
      latency: {
        total: text(row.querySelector('[data-testid="latency-total"]')),
        queuedToPod: text(row.querySelector('[data-testid="latency-queued-to-pod"]')),
        podToRunning: text(row.querySelector('[data-testid="latency-pod-to-running"]')),
      },
    }));
    const summary: Record<string, string> = {};
    const summaryDetails: Record<string, string> = {};
    for (const card of document.querySelectorAll('[data-testid^="summary-"]')) {
      summary[card.getAttribute('data-testid')!] = card.textContent?.trim() ?? '';
      summaryDetails[card.getAttribute('data-testid')!] = card.nextElementSibling?.textContent?.trim() ?? '';
    }
    const errorPanel = document.querySelector('[data-testid="elastic-ci-error"]');
    const imageCache = {
      entries: [...document.querySelectorAll('[data-testid="image-cache-entry"]')].map((entry) => {
        const cells = [...entry.querySelectorAll('td')].map((cell) => (cell as HTMLElement).innerText.trim());
        return { image: cells[0] ?? '', state: cells[1] ?? '' };
      }),
      pullPolicy: text(document.querySelector('[data-testid="settings-pull-policy"]')),
      kaniko: text(document.querySelector('[data-testid="settings-kaniko"]')),
    };
    const numbers = (selector: string, prefix: string, attribute: string) =>
      Object.fromEntries(
        [...document.querySelectorAll(selector)].map((e) => [
          e.getAttribute('data-testid')!.slice(prefix.length),
          Number(e.getAttribute(attribute)),
        ]),
      );
    const queueBars = Object.fromEntries(
      [...document.querySelectorAll('[data-testid^="queue-bar-"]')].map((bar) => [
        bar.getAttribute('data-testid')!.slice('queue-bar-'.length),
        [...bar.querySelectorAll('[data-testid^="queue-phase-"]')].map((segment) => ({
          phase: segment.getAttribute('data-testid')!.slice('queue-phase-'.length),
          ms: Number(segment.getAttribute('data-ms')),
        })),
      ]),
    );
    const costPanel = document.querySelector('[data-testid="cost-per-day-panel"]');
    const costPerDay = {
      bars: numbers('[data-testid^="cost-day-"]', 'cost-day-', 'data-usd'),
      rows: [...document.querySelectorAll('tr[data-testid^="cost-row-"]')].map((row) =>
        [...row.querySelectorAll('td')].map((cell) => (cell as HTMLElement).innerText.trim()),
      ),
      total: text(document.querySelector('[data-testid="cost-total"]')),
      totalAll: text(document.querySelector('[data-testid="cost-total-all"]')),
      empty: text(document.querySelector('[data-testid="cost-per-day-empty"]')),
      errorText: costPanel?.querySelector('[role="alert"]') ? (costPanel as HTMLElement).innerText.trim() : undefined,
    };
    const queueTrend = {
      repository: (document.querySelector('[data-testid="queue-trend-repository"]') as HTMLSelectElement | null)?.value,
      p50: numbers('[data-testid^="queue-trend-p50-"]', 'queue-trend-p50-', 'data-ms'),
      p95: numbers('[data-testid^="queue-trend-p95-"]', 'queue-trend-p95-', 'data-ms'),
      latest: text(document.querySelector('[data-testid="queue-trend-latest"]')),
    };
    return {
      inAppShell: document.querySelector('[data-testid="backstage-app-shell"]') !== null,
      queueBars,
      costPerDay,
      queueTrend,
      imageCache,
      chartPoints: document.querySelectorAll('[data-testid^="latency-point-"]').length,
      rows,
      badges: [...document.querySelectorAll('[data-testid="placement-badge"]')].map((b) => b.textContent?.trim() ?? ''),
      latencies: rows.map((row) => row.latency.total ?? ''),
      summary,
      summaryDetails,
      errorText: errorPanel ? (errorPanel as HTMLElement).innerText.trim() : undefined,
    };
  });
}

export interface DevPageServer {
  /** e.g. http://127.0.0.1:41234 (no trailing slash) */
  url: string;
  close(): Promise<void>;
}

export interface ServeDevPageOptions {
  /** The bundled dev page directory (dev/bundle.mjs output). */
  dir: string;
  port?: number;
  /**
   * Optional stand-in for the Backstage proxy: requests under `path` (default `/api/proxy/eci-virtual`, where the
   * app's DiscoveryApi puts the proxy endpoint `/eci-virtual` when backend.baseUrl is the page's origin) go to
   * `target` with `Authorization: Bearer <token>` added, so the page talks to the controller same-origin.
   */
  proxy?: { target: string; token?: string; path?: string };
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** Serves the bundled dev page on 127.0.0.1 (and optionally proxies the controller, like Backstage's proxy). */
export async function serveDevPage(options: ServeDevPageOptions): Promise<DevPageServer> {
  const root = resolve(options.dir);
  const proxyPath = options.proxy?.path ?? '/api/proxy/eci-virtual';
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (options.proxy && (url.pathname === proxyPath || url.pathname.startsWith(`${proxyPath}/`))) {
      forward(req, res, options.proxy.target, url.pathname.slice(proxyPath.length) + url.search, options.proxy.token);
      return;
    }
    const file = normalize(join(root, url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname)));
    if (!file.startsWith(root) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  server.on('connection', (socket) => socket.setNoDelay(true));
  await new Promise<void>((resolveListen) => server.listen(options.port ?? 0, '127.0.0.1', resolveListen));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolveClose) => {
        server.closeAllConnections();
        server.close(() => resolveClose());
      }),
  };
}

function forward(req: IncomingMessage, res: ServerResponse, target: string, pathAndQuery: string, token?: string) {
  const upstream = new URL(pathAndQuery, target.endsWith('/') ? target : `${target}/`);
  upstream.pathname = `${new URL(target).pathname.replace(/\/$/, '')}${pathAndQuery.split('?')[0]}`;
  const headers = { ...req.headers, host: upstream.host };
  if (token) headers.authorization = `Bearer ${token}`;
  const send = upstream.protocol === 'https:' ? httpsRequest : httpRequest;
  const proxied = send(upstream, { method: req.method, headers }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  proxied.on('error', (error) => {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
    res.end(`proxy error: ${error.message}`);
  });
  req.pipe(proxied);
}
