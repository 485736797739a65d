// Proves the dev page + browser helper end to end against the fixture server (no cluster):
//   yarn workspace @eci-virtual/backstage-plugin-elastic-ci dev:smoke     (screenshots in .local/screens/)
// Exits non-zero when what Chromium shows is not what the fixtures say.
import { strict as assert } from 'node:assert';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderTabScreenshot, serveDevPage } from './browser.js';
import { bundleDevPage } from './bundle.mjs';
import { startFixtureServer } from './fixture-server.js';

const pluginRoot = fileURLToPath(new URL('..', import.meta.url));
const screens = resolve(pluginRoot, '.local/screens');
const token = 'smoke-token';

const dir: string = await bundleDevPage({ production: process.env.DEV_PAGE_MINIFY !== '0' });
const api = await startFixtureServer({ token, cors: true });
const page = await serveDevPage({ dir, proxy: { target: api.url, token } });
try {
  // 1. As in Backstage: same-origin through a proxy that adds the token.
  const viaProxy = await renderTabScreenshot({
    pageUrl: `${page.url}/?repo=acme/widgets`,
    screenshotPath: `${screens}/data-via-proxy.png`,
  });
  const errors = (seen: { consoleErrors: string[] }) =>
    seen.consoleErrors.filter((line) => !line.startsWith('Warning:') && !line.startsWith('Failed to load resource'));
  console.log(
    JSON.stringify(
      {
        ...viaProxy,
        consoleErrors: errors(viaProxy),
        rows: viaProxy.rows.map(({ cells, ...row }) => ({ ...row, cells: cells.join(' | ') })),
      },
      null,
      2,
    ),
  );
  assert.equal(viaProxy.state, 'data');
  // Inside the createApp app, the plugin's own API factory calling through the app's DiscoveryApi (the proxy).
  assert.equal(viaProxy.inAppShell, true);
  assert.deepEqual([...viaProxy.fetches].sort(), [
    'GET /api/proxy/eci-virtual/v1/aggregates?repo=acme%2Fwidgets&days=30',
    'GET /api/proxy/eci-virtual/v1/image-cache/autopilot?repo=acme%2Fwidgets',
    'GET /api/proxy/eci-virtual/v1/jobs?repo=acme%2Fwidgets',
    'GET /api/proxy/eci-virtual/v1/settings?repo=acme%2Fwidgets',
  ]);
  assert.deepEqual(
    viaProxy.rows.map((row) => row.id),
    ['103', '102', '101'],
  );
  assert.deepEqual(viaProxy.badges, ['regular', 'virtual']);
  assert.deepEqual(viaProxy.latencies, ['—', '9.12 s', '1.50 s']);
  assert.equal(viaProxy.rows[2]!.latency.queuedToPod, '80 ms');
  assert.equal(viaProxy.rows[2]!.nodeName, 'virtual-kubelet-eci');
  assert.equal(viaProxy.summary['summary-virtual-share'], '50%');
  assert.deepEqual(errors(viaProxy), []);
  assert.deepEqual(viaProxy.failedRequests, []);
  // Job 101's queue breakdown bar, phase by phase.
  assert.deepEqual(
    viaProxy.queueBars['101']?.map((p) => `${p.phase} ${p.ms}`),
    ['webhook 40', 'launch 40', 'images 1120', 'runner 300', 'assign 500', 'setup 300'],
  );
  // The trend panels, from /v1/aggregates (src/__fixtures__/jobs.ts: aggregatesResponse).
  assert.deepEqual(viaProxy.costPerDay.bars, { '2026-11-18': 0.0124, '2026-11-20': 0.0056 });
  assert.deepEqual(
    viaProxy.costPerDay.rows.map((row) => [row[0], row[3]]),
    [
      ['2026-11-20', '$0.0056'],
      ['2026-11-18', '$0.01'],
    ],
  );
  assert.equal(viaProxy.costPerDay.total, '$0.02');
  assert.equal(viaProxy.queueTrend.repository, 'acme/widgets');
  assert.deepEqual(viaProxy.queueTrend.p95, { '2026-11-18': 4200, '2026-11-20': 9120 });

  // 2. Straight at the API with the token from the query string (the real-controller e2e's shape).
  const direct = await renderTabScreenshot({
    pageUrl: `${page.url}/?api=${encodeURIComponent(api.url)}&repo=acme/widgets&token=${token}`,
    screenshotPath: `${screens}/data-direct.png`,
  });
  assert.equal(direct.state, 'data');
  assert.equal(direct.rows.length, 3);

  // 2b. The job drawer: pod timeline from the phase timestamps and the pod's events.
  const drawer = await renderTabScreenshot({
    pageUrl: `${page.url}/?api=${encodeURIComponent(api.url)}&repo=acme/widgets&token=${token}`,
    screenshotPath: `${screens}/drawer.png`,
    openJob: '102',
  });
  console.log(drawer.timeline);
  assert.equal(drawer.timeline?.length, 5);
  assert.match(drawer.timeline?.[2] ?? '', /BackOff \(Warning\)/);

  // 3. A wrong token: the ResponseErrorPanel with the 401.
  const refused = await renderTabScreenshot({
    pageUrl: `${page.url}/?api=${encodeURIComponent(api.url)}&repo=acme/widgets&token=wrong`,
    screenshotPath: `${screens}/error-401.png`,
  });
  assert.equal(refused.state, 'error');
  assert.match(refused.errorText ?? '', /401/);
  // Every read (jobs, settings, aggregates, autopilot) is refused.
  assert.deepEqual(refused.failedRequests.map((line) => line.split(' ')[0]).sort(), ['401', '401', '401', '401']);

  // 4. No jobs for the repo, 5. no annotation.
  const empty = await renderTabScreenshot({
    pageUrl: `${page.url}/?api=${encodeURIComponent(api.url)}&repo=acme/quiet&token=${token}`,
    screenshotPath: `${screens}/empty.png`,
  });
  assert.equal(empty.state, 'empty');
  const missing = await renderTabScreenshot({
    pageUrl: `${page.url}/?api=${encodeURIComponent(api.url)}`,
    screenshotPath: `${screens}/missing-annotation.png`,
  });
  assert.equal(missing.state, 'missing-annotation');

  console.log(`smoke: 6 passed, 0 failed (screenshots in ${screens})`);
  console.log(api.log.join('\n'));
} finally {
  await page.close();
  await api.close();
}
