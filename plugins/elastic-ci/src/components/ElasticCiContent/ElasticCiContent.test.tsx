import { describe, expect, it, jest } from '@jest/globals';
import type { Entity } from '@backstage/catalog-model';
import { ResponseError } from '@backstage/errors';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { Route, Routes } from 'react-router-dom';
import {
  aggregatesResponse,
  autopilotResponse,
  jobs,
  jobsResponse,
  makeJob,
  settingsResponse,
} from '../../__fixtures__/jobs.js';
import {
  elasticCiApiRef,
  type ElasticCiApi,
  type GetAggregatesOptions,
  type GetJobsOptions,
} from '../../api/ElasticCiApi.js';
import { ElasticCiClient } from '../../api/ElasticCiClient.js';
import type { AggregatesResponse, AutopilotResponse, JobsResponse, SettingsResponse } from '@eci-virtual/contract';
import { AutopilotPanel } from '../AutopilotPanel/index.js';
import { EntityElasticCiContent } from '../../plugin.js';
import { ImageCachePanel } from '../ImageCachePanel/index.js';
import { ElasticCiContent } from './ElasticCiContent.js';

const entity = (annotations: Record<string, string> = { 'github.com/project-slug': 'acme/widgets' }): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'widgets', annotations },
  spec: { type: 'service', lifecycle: 'production', owner: 'team-a' },
});

function mockApi(
  getJobs: (repo: string, options?: GetJobsOptions) => Promise<JobsResponse>,
  getSettings: (repo: string, options?: { signal?: AbortSignal }) => Promise<SettingsResponse> = async () =>
    settingsResponse,
  getAggregates: (repo: string, options?: GetAggregatesOptions) => Promise<AggregatesResponse> = async () =>
    aggregatesResponse(),
  getAutopilot: (repo: string, options?: { signal?: AbortSignal }) => Promise<AutopilotResponse> = async () =>
    autopilotResponse,
) {
  return {
    getJobs: jest.fn(getJobs),
    getSettings: jest.fn(getSettings),
    getAggregates: jest.fn(getAggregates),
    getAutopilot: jest.fn(getAutopilot),
  } satisfies ElasticCiApi;
}

function renderTab(api: ElasticCiApi, options: { entity?: Entity; refreshIntervalMs?: number } = {}) {
  return renderInTestApp(
    <TestApiProvider apis={[[elasticCiApiRef, api]]}>
      <EntityProvider entity={options.entity ?? entity()}>
        <ElasticCiContent refreshIntervalMs={options.refreshIntervalMs} />
      </EntityProvider>
    </TestApiProvider>,
  );
}

describe('EntityElasticCiContent (legacy routable extension)', () => {
  it('loads the tab lazily and renders the jobs', async () => {
    const api = mockApi(async () => jobsResponse());
    await renderInTestApp(
      <TestApiProvider apis={[[elasticCiApiRef, api]]}>
        <EntityProvider entity={entity()}>
          {/* As under <EntityLayout.Route path="/elastic-ci">: the routing traversal binds the mount point to a path. */}
          <Routes>
            <Route path="/elastic-ci" element={<EntityElasticCiContent />} />
          </Routes>
        </EntityProvider>
      </TestApiProvider>,
      { routeEntries: ['/elastic-ci'] },
    );
    expect(await screen.findByTestId('job-row-101')).toBeTruthy();
  });
});

describe('ElasticCiContent', () => {
  it('shows progress while the first answer is on its way', async () => {
    const api = mockApi(() => new Promise<JobsResponse>(() => {}));
    await renderTab(api);
    expect(await screen.findByTestId('progress')).toBeTruthy();
    expect(api.getJobs).toHaveBeenCalledWith('acme/widgets', expect.anything());
  });

  it('renders summary, chart, one row per job with placement and latency, and the image-cache panel', async () => {
    const api = mockApi(async () => jobsResponse());
    await renderTab(api);

    const first = await screen.findByTestId('job-row-101');
    expect(within(first).getByText('CI / build').closest('a')?.getAttribute('href')).toBe(
      jobs.find((job) => job.id === '101')!.htmlUrl,
    );
    expect(within(first).getByTestId('placement-badge').textContent).toBe('virtual');
    expect(within(first).getByTestId('node-name').textContent).toBe('virtual-kubelet-eci');
    expect(within(first).getByTestId('latency-101').textContent).toContain('1.50 s');
    expect(within(first).getByTestId('latency-queued-to-pod').textContent).toBe('80 ms');
    expect(within(first).getByTestId('latency-pod-to-running').textContent).toBe('1.42 s');
    expect(within(first).getByTestId('image-cache').textContent).toBe('hit');
    expect(within(first).getByText('2 CPU / 4Gi')).toBeTruthy();
    expect(within(first).getByText('3m 01s')).toBeTruthy();

    const second = screen.getByTestId('job-row-102');
    expect(within(second).getByTestId('placement-badge').textContent).toBe('regular');
    expect(within(second).getByText('failed (failure)')).toBeTruthy();
    expect(within(second).getByTestId('image-cache').textContent).toBe('miss');

    const queued = screen.getByTestId('job-row-103');
    expect(within(queued).queryByTestId('placement-badge')).toBeNull();
    expect(within(queued).getByTestId('latency-total').textContent).toBe('—');

    expect(screen.getByTestId('summary-jobs7d').textContent).toBe('3');
    expect(screen.getByTestId('summary-latency').textContent).toBe('p50 1.50 s');
    expect(screen.getByText('p95 9.12 s')).toBeTruthy();
    expect(screen.getByTestId('summary-virtual-share').textContent).toBe('50%');
    expect(screen.getByTestId('summary-cost').textContent).toBe('$0.0056');

    const chart = screen.getByTestId('latency-chart');
    expect(chart.querySelectorAll('circle[data-testid^="latency-point-"]')).toHaveLength(2);

    expect(await screen.findByTestId('settings-pull-policy')).toBeTruthy();
    expect(screen.getByTestId('settings-pull-policy').textContent).toBe('IfNotPresent');
    expect(screen.getByTestId('settings-kaniko').textContent).toBe('registry.internal/acme/cache, TTL 168h');
    expect(screen.getByTestId('settings-placement').textContent).toBe('virtual nodes, 2 CPU / 4Gi');
    const images = screen.getAllByTestId('image-cache-entry');
    expect(images.map((row) => row.textContent)).toEqual([
      expect.stringContaining('node:20-bookwormreadyimc-123384.0 MiB'),
      expect.stringContaining('ghcr.io/acme/builder:1.4creating'),
    ]);
  });

  it('shows the cost per day and the queue-time trends from the last 30 days of aggregates', async () => {
    const api = mockApi(async () => jobsResponse());
    await renderTab(api);
    expect(await screen.findByTestId('cost-day-2026-11-20')).toBeTruthy();
    expect(api.getAggregates).toHaveBeenCalledWith('acme/widgets', expect.objectContaining({ days: 30 }));
    expect(screen.getByTestId('cost-day-2026-11-20').getAttribute('data-usd')).toBe('0.0056');
    expect(screen.getByTestId('cost-total').textContent).toBe('$0.02');
    expect(screen.getByTestId('queue-trend-p95-2026-11-20').getAttribute('data-ms')).toBe('9120');
    expect((screen.getByTestId('queue-trend-repository') as HTMLSelectElement).value).toBe('acme/widgets');
  });

  it('shows an aggregates failure in both trend panels and keeps the jobs', async () => {
    const api = mockApi(
      async () => jobsResponse(),
      async () => settingsResponse,
      async () => {
        throw new Error('history database locked');
      },
    );
    await renderTab(api);
    expect(await screen.findByTestId('job-row-101')).toBeTruthy();
    await waitFor(() =>
      expect(screen.getByTestId('cost-per-day-panel').textContent).toContain('history database locked'),
    );
    expect(screen.getByTestId('cost-per-day-panel').textContent).toContain('Could not load the cost per day');
    expect(screen.getByTestId('queue-trend-panel').textContent).toContain('Could not load the queue-time trends');
  });

  it('filters and sorts the jobs table', async () => {
    await renderTab(mockApi(async () => jobsResponse()));
    await screen.findByTestId('job-row-101');
    // The controller's order (newest first) until the user sorts.
    const order = () => screen.getAllByTestId(/^job-row-/).map((row) => row.getAttribute('data-testid'));
    expect(order()).toEqual(['job-row-103', 'job-row-102', 'job-row-101']);

    // Ascending, then descending; jobs that have not started yet sort last either way.
    fireEvent.click(screen.getByText('Start latency'));
    expect(order()).toEqual(['job-row-101', 'job-row-102', 'job-row-103']);
    fireEvent.click(screen.getByText('Start latency'));
    expect(order()).toEqual(['job-row-102', 'job-row-101', 'job-row-103']);

    fireEvent.change(screen.getByPlaceholderText('Filter'), { target: { value: 'lint' } });
    await waitFor(() => expect(order()).toEqual(['job-row-103']));
  });

  it('keeps the chosen sort across an auto-refresh', async () => {
    const running = makeJob({ id: '104', job: 'e2e', status: 'pending', conclusion: undefined, latency: {} });
    let calls = 0;
    let releaseSecond!: () => void;
    const second = new Promise<void>((resolve) => (releaseSecond = resolve));
    const api = mockApi(async () => {
      calls += 1;
      if (calls === 1) return jobsResponse([running, ...jobs.slice(1)]);
      if (calls === 2) {
        await second;
        return jobsResponse([{ ...running, latency: { queuedToRunningMs: 5000 } }, ...jobs.slice(1)]);
      }
      return new Promise<JobsResponse>(() => {});
    });
    await renderTab(api, { refreshIntervalMs: 20 });
    await screen.findByTestId('job-row-101');
    const order = () => screen.getAllByTestId(/^job-row-/).map((row) => row.getAttribute('data-testid'));
    expect(order()).toEqual(['job-row-104', 'job-row-102', 'job-row-101']);
    fireEvent.click(screen.getByText('Start latency'));
    expect(order()).toEqual(['job-row-101', 'job-row-102', 'job-row-104']);

    releaseSecond();
    await waitFor(() => expect(within(screen.getByTestId('job-row-104')).getByText('5.00 s')).toBeTruthy());
    expect(order()).toEqual(['job-row-101', 'job-row-104', 'job-row-102']);
  });

  it('shows the empty state when the repository has no jobs', async () => {
    await renderTab(mockApi(async () => jobsResponse([])));
    expect(await screen.findByText('No jobs yet')).toBeTruthy();
    expect(screen.getByTestId('elastic-ci-empty')).toBeTruthy();
    expect(screen.queryByTestId(/^job-row-/)).toBeNull();
    expect(await screen.findByTestId('settings-pull-policy')).toBeTruthy();
  });

  it('shows a ResponseErrorPanel when the controller refuses', async () => {
    const body = JSON.stringify({ error: { code: 'unauthorized', message: 'missing or wrong portal token' } });
    const response = {
      ok: false,
      status: 401,
      statusText: 'Unauthorized',
      url: 'http://backstage.test/api/proxy/eci-virtual/v1/jobs?repo=acme%2Fwidgets',
      type: 'basic',
      redirected: false,
      headers: { get: (name: string) => (name.toLowerCase() === 'content-type' ? 'application/json' : null) },
      text: async () => body,
    } as unknown as Parameters<typeof ResponseError.fromResponse>[0];
    const failing = await ResponseError.fromResponse(response);
    const api = mockApi(async () => {
      throw failing;
    });
    await renderTab(api);
    expect(await screen.findByText(/Request failed with 401 Unauthorized/)).toBeTruthy();
    expect(screen.getByTestId('elastic-ci-error')).toBeTruthy();
    expect(screen.getAllByText(/missing or wrong portal token/).length).toBeGreaterThan(0);
    expect(screen.queryByTestId('elastic-ci-content')).toBeNull();
  });

  it('shows an ErrorPanel for a failure that is not an HTTP answer', async () => {
    await renderTab(
      mockApi(() => Promise.reject(new Error('The controller answered /v1/jobs with a body that is not JSON'))),
    );
    expect((await screen.findAllByText(/body that is not JSON/)).length).toBeGreaterThan(0);
  });

  it('shows MissingAnnotationEmptyState without github.com/project-slug, and asks nothing', async () => {
    const api = mockApi(async () => jobsResponse());
    await renderTab(api, { entity: entity({}) });
    expect(await screen.findByText(/Missing Annotation/i)).toBeTruthy();
    expect(screen.getByTestId('elastic-ci-missing-annotation')).toBeTruthy();
    expect(screen.getAllByText(/github\.com\/project-slug/).length).toBeGreaterThan(0);
    expect(api.getJobs).not.toHaveBeenCalled();
  });

  it('opens the job drawer with the pod timeline on a row click', async () => {
    await renderTab(mockApi(async () => jobsResponse()));
    const row = await screen.findByTestId('job-row-102');
    fireEvent.click(within(row).getByTestId('image-cache'));
    const drawer = await screen.findByTestId('job-drawer');
    const entries = within(drawer)
      .getAllByTestId('timeline-entry')
      .map((row) => row.textContent ?? '');
    expect(entries).toHaveLength(5);
    expect(entries[0]).toContain('+0 ms');
    expect(entries[0]).toContain('Queued on GitHub');
    expect(entries[1]).toContain('Pod created');
    expect(entries[2]).toContain('BackOff (Warning)');
    expect(entries[2]).toContain('Back-off pulling image');
    expect(entries[3]).toContain('+9.12 s');
    expect(entries[3]).toContain('All containers running');
    expect(entries[4]).toContain('Finished');
    expect(within(drawer).getByText('eci-jobs/job-102')).toBeTruthy();

    fireEvent.click(within(drawer).getByLabelText('Close job details'));
    await waitFor(() => expect(screen.queryByTestId('job-drawer')).toBeNull());
  });

  it('refreshes while a job is active and stops once every job has finished', async () => {
    const running = makeJob({ id: '201', status: 'running', conclusion: undefined });
    const done = makeJob({ id: '201', status: 'succeeded' });
    let releaseFinished!: () => void;
    const finished = new Promise<void>((resolve) => (releaseFinished = resolve));
    let calls = 0;
    const api = mockApi(async () => {
      calls += 1;
      if (calls === 1) return jobsResponse([running]);
      await finished; // the second poll answers only when the test says so
      return jobsResponse([done]);
    });
    await renderTab(api, { refreshIntervalMs: 20 });

    const row = await screen.findByTestId('job-row-201');
    expect(within(row).getByText('running')).toBeTruthy();
    expect(screen.getByTestId('refresh-state').textContent).toContain('refreshing every');
    await waitFor(() => expect(api.getJobs).toHaveBeenCalledTimes(2));

    releaseFinished();
    await waitFor(() =>
      expect(within(screen.getByTestId('job-row-201')).getByText('succeeded (success)')).toBeTruthy(),
    );
    expect(screen.getByTestId('refresh-state').textContent).not.toContain('refreshing every');
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(api.getJobs).toHaveBeenCalledTimes(2);
    expect(api.getSettings).toHaveBeenCalledTimes(1);
  });

  it('keeps the last answer when a refresh fails, and polls on', async () => {
    const running = makeJob({ id: '301', status: 'running', conclusion: undefined });
    let calls = 0;
    const api = mockApi(async () => {
      calls += 1;
      if (calls === 1) return jobsResponse([running]);
      if (calls === 2) throw new Error('proxy timeout');
      return new Promise<JobsResponse>(() => {}); // the third poll never answers: the failure stays on screen
    });
    await renderTab(api, { refreshIntervalMs: 20 });
    await screen.findByTestId('job-row-301');
    await waitFor(() => expect(screen.getByTestId('refresh-state').textContent).toContain('proxy timeout'));
    expect(screen.getByTestId('job-row-301')).toBeTruthy();
    await waitFor(() => expect(api.getJobs).toHaveBeenCalledTimes(3));
  });

  it('shows "Invalid annotation" with the value for a github.com/project-slug that is not owner/name', async () => {
    const api = mockApi(async () => jobsResponse());
    await renderTab(api, { entity: entity({ 'github.com/project-slug': ' no-slash ' }) });
    expect(await screen.findByText('Invalid annotation')).toBeTruthy();
    const wrapper = screen.getByTestId('elastic-ci-missing-annotation');
    expect(within(wrapper).getByTestId('elastic-ci-annotation-value').textContent).toBe('no-slash');
    expect(wrapper.textContent).toContain(
      'The github.com/project-slug annotation of this entity is no-slash, which is not a GitHub repository as owner/name',
    );
    expect(screen.queryByText(/Missing Annotation/i)).toBeNull();
    expect(api.getJobs).not.toHaveBeenCalled();
    expect(api.getSettings).not.toHaveBeenCalled();
  });

  it('says the controller could not be reached when the request fails on the network', async () => {
    const fetch = jest.fn(async (_input: RequestInfo | URL, _init?: RequestInit): Promise<Response> => {
      throw new TypeError('Failed to fetch');
    });
    const client = new ElasticCiClient({
      discoveryApi: { getBaseUrl: async () => 'http://backstage.test/api/proxy' },
      fetchApi: { fetch: fetch as unknown as typeof globalThis.fetch },
    });
    await renderTab(client);
    const error = await screen.findByTestId('elastic-ci-error');
    expect(
      within(error).getAllByText(
        /^Could not reach the eci-virtual controller at http:\/\/backstage\.test\/api\/proxy\/eci-virtual\/v1\/jobs\?repo=acme%2Fwidgets/,
      ).length,
    ).toBeGreaterThan(0);
    expect(within(error).getAllByText(/Failed to fetch/).length).toBeGreaterThan(0);
    expect(screen.queryByTestId('elastic-ci-content')).toBeNull();
  });

  it('shows the start-latency chart empty when no job has reached running', async () => {
    const queued = jobs.find((job) => job.id === '103')!;
    const unparsable = makeJob({
      id: '104',
      status: 'running',
      conclusion: undefined,
      timestamps: { queuedAt: 'not a time' },
      latency: { queuedToRunningMs: 1500 },
    });
    await renderTab(mockApi(async () => jobsResponse([queued, unparsable])));
    expect(await screen.findByTestId('job-row-103')).toBeTruthy();
    expect(screen.getByText('No job has reached running yet.')).toBeTruthy();
    expect(screen.getByText('Start latency over time')).toBeTruthy();
    expect(screen.queryByTestId('latency-chart')).toBeNull();
  });

  it('shows progress in the image-cache panel while the settings load, the jobs already there', async () => {
    const api = mockApi(
      async () => jobsResponse(),
      () => new Promise<SettingsResponse>(() => {}),
    );
    await renderTab(api);
    expect(await screen.findByTestId('job-row-101')).toBeTruthy();
    const panel = screen.getByTestId('image-cache-panel');
    expect(within(panel).getByText('Image cache and placement')).toBeTruthy();
    expect(await within(panel).findByTestId('progress')).toBeTruthy();
    expect(within(panel).queryByTestId('settings-pull-policy')).toBeNull();
    expect(api.getSettings).toHaveBeenCalledWith('acme/widgets', expect.anything());
  });

  it('shows the settings error in the image-cache panel and keeps the jobs', async () => {
    const api = mockApi(
      async () => jobsResponse(),
      async () => {
        throw new Error('settings store unavailable');
      },
    );
    await renderTab(api);
    const panel = await screen.findByTestId('image-cache-panel');
    expect(await within(panel).findByText('Error: Could not load the settings')).toBeTruthy();
    expect(within(panel).getAllByText(/settings store unavailable/).length).toBeGreaterThan(0);
    expect(within(panel).queryByTestId('progress')).toBeNull();
    expect(within(panel).queryByTestId('settings-pull-policy')).toBeNull();
    expect(screen.getByTestId('job-row-101')).toBeTruthy();
    expect(screen.queryByTestId('elastic-ci-error')).toBeNull();
  });

  it('says so when no image is cached for the repository', async () => {
    const empty: SettingsResponse = {
      ...settingsResponse,
      imageCache: { ...settingsResponse.imageCache, images: [] },
    };
    await renderTab(
      mockApi(
        async () => jobsResponse(),
        async () => empty,
      ),
    );
    const panel = await screen.findByTestId('image-cache-panel');
    expect(await within(panel).findByText('No images are cached for this repository.')).toBeTruthy();
    expect(within(panel).queryByTestId('image-cache-table')).toBeNull();
    expect(within(panel).queryAllByTestId('image-cache-entry')).toHaveLength(0);
    expect(within(panel).getByTestId('settings-pull-policy').textContent).toBe('IfNotPresent');
  });
});

describe('ImageCachePanel', () => {
  const withKaniko = (kaniko: SettingsResponse['imageCache']['kaniko']): SettingsResponse => ({
    ...settingsResponse,
    imageCache: { ...settingsResponse.imageCache, pullPolicy: 'Always', kaniko },
  });

  it('shows the kaniko layer cache as disabled', async () => {
    await renderInTestApp(
      <ImageCachePanel loading={false} settings={withKaniko({ enabled: false, cacheRepo: 'registry.internal/x' })} />,
    );
    expect(screen.getByTestId('settings-kaniko').textContent).toBe('disabled');
    expect(screen.getByTestId('settings-pull-policy').textContent).toBe('Always');
    expect(screen.queryByText(/registry\.internal\/x/)).toBeNull();
    expect(screen.getAllByTestId('image-cache-entry')).toHaveLength(2);
  });

  it('shows an enabled kaniko cache without a repository or TTL as such', async () => {
    await renderInTestApp(<ImageCachePanel loading={false} settings={withKaniko({ enabled: true })} />);
    expect(screen.getByTestId('settings-kaniko').textContent).toBe('no cache repository');
  });
});

describe('AutopilotPanel', () => {
  it('shows what the autopilot decided for the repository, and why, in the tab', async () => {
    const api = mockApi(async () => jobsResponse());
    await renderTab(api);
    const panel = await screen.findByTestId('autopilot-panel');
    expect(await within(panel).findByTestId('autopilot-decisions')).toBeTruthy();
    expect(api.getAutopilot).toHaveBeenCalledWith('acme/widgets', expect.anything());
    expect(within(panel).getByTestId('autopilot-summary').textContent).toBe(
      "Keeps ECI image caches warm for this repository's hot images, at most 10 sets / 200 GiB, a pass every 600 s.",
    );
    const rows = within(panel).getAllByTestId('autopilot-decision');
    expect(rows.map((r) => within(r).getByText(/^(refresh|keep|create)$/).textContent)).toEqual([
      'refresh',
      'keep',
      'create',
    ]);
    expect(within(rows[0]!).getByTestId('autopilot-reason').textContent).toBe(
      'node:20 moved (sha256:aaa → sha256:bbb): a fresh cache replaces imc-1',
    );
    expect(within(rows[0]!).getByTestId('autopilot-outcome').textContent).toBe('done (imc-2)');
    expect(within(rows[1]!).getByTestId('autopilot-outcome').textContent).toMatch(/^again in 4 later passes, last /);
    expect(within(rows[2]!).getByTestId('autopilot-outcome').textContent).toBe(
      'failed: QuotaExceeded: image cache quota',
    );
    expect(within(rows[2]!).getByText('eci-virtual-auto-ffff00001111 · 1 image')).toBeTruthy();
  });

  it('shows a learnt kaniko base image by name, with its weight and uses, and why no cache holds it', async () => {
    const learnt = {
      at: '2026-03-09T12:00:00.000Z',
      pass: 3,
      action: 'skip' as const,
      outcome: 'noop' as const,
      reason: 'kaniko base image: learned; kaniko pulls it itself, a cache cannot serve it',
      name: '',
      images: ['golang:1.23'],
      weight: 45,
      uses: 3,
    };
    await renderInTestApp(<AutopilotPanel autopilot={{ ...autopilotResponse, decisions: [learnt] }} />);
    const row = screen.getByTestId('autopilot-decision');
    expect(within(row).getByText('golang:1.23')).toBeTruthy();
    expect(within(row).getByTestId('autopilot-weight').textContent).toBe('45 · 3 uses');
    expect(within(row).getByTestId('autopilot-reason').textContent).toBe(learnt.reason);
  });

  it('says when the autopilot is off', async () => {
    await renderInTestApp(
      <AutopilotPanel autopilot={{ ...autopilotResponse, enabled: false, leader: false, decisions: [] }} />,
    );
    expect(screen.getByTestId('autopilot-summary').textContent).toBe(
      'The image-cache autopilot is off for this controller.',
    );
    expect(screen.queryByTestId('autopilot-decisions')).toBeNull();
    expect(screen.queryByTestId('autopilot-empty')).toBeNull();
  });

  it('says when it has decided nothing yet, and shows a load error while the jobs stay', async () => {
    const api = mockApi(
      async () => jobsResponse(),
      undefined,
      undefined,
      async () => {
        throw new Error('controller too old');
      },
    );
    await renderTab(api);
    const panel = await screen.findByTestId('autopilot-panel');
    expect(await within(panel).findByText("Error: Could not load the autopilot's decisions")).toBeTruthy();
    expect(screen.getByTestId('job-row-101')).toBeTruthy();
    await renderInTestApp(<AutopilotPanel autopilot={{ ...autopilotResponse, decisions: [] }} />);
    expect(screen.getByTestId('autopilot-empty').textContent).toMatch(/^No decision yet/);
  });
});
