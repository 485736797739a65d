/** @jest-environment node */
import { describe, expect, it, jest } from '@jest/globals';
import { ResponseError } from '@backstage/errors';
import { aggregatesResponse, autopilotResponse, jobsResponse, settingsResponse } from '../__fixtures__/jobs.js';
import { ElasticCiClient, ElasticCiInvalidResponseError, ElasticCiNetworkError } from './ElasticCiClient.js';

function clientAnswering(response: () => Response | Promise<Response>, base = 'http://backstage.test/api/proxy') {
  const fetch = jest.fn(async (_input: RequestInfo | URL, _init?: RequestInit) => response());
  const client = new ElasticCiClient({
    discoveryApi: { getBaseUrl: async (pluginId: string) => (pluginId === 'proxy' ? base : 'wrong') },
    fetchApi: { fetch: fetch as unknown as typeof globalThis.fetch },
  });
  return { client, fetch };
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

describe('ElasticCiClient', () => {
  it('reads /v1/jobs through the proxy endpoint with the repo encoded', async () => {
    const { client, fetch } = clientAnswering(() => json(jobsResponse()));
    const answer = await client.getJobs('acme/widgets', { since: '2026-11-13T00:00:00Z', limit: 50 });
    expect(answer.jobs.map((job) => job.id)).toEqual(['103', '102', '101']);
    expect(fetch).toHaveBeenCalledTimes(1);
    const url = new URL(String(fetch.mock.calls[0]![0]));
    expect(url.origin + url.pathname).toBe('http://backstage.test/api/proxy/eci-virtual/v1/jobs');
    expect(url.search).toBe('?repo=acme%2Fwidgets&since=2026-11-13T00%3A00%3A00Z&limit=50');
    expect(url.searchParams.get('repo')).toBe('acme/widgets');
  });

  it('reads /v1/aggregates with the days and the repository narrowing, and checks the answer', async () => {
    const { client, fetch } = clientAnswering(() => json(aggregatesResponse()));
    const answer = await client.getAggregates('acme/widgets', { days: 7, repository: 'acme/gadgets' });
    expect(answer.perRepositoryDay).toHaveLength(3);
    expect(String(fetch.mock.calls[0]![0])).toBe(
      'http://backstage.test/api/proxy/eci-virtual/v1/aggregates?repo=acme%2Fwidgets&days=7&repository=acme%2Fgadgets',
    );
    await client.getAggregates('acme/widgets');
    expect(String(fetch.mock.calls[1]![0])).toBe(
      'http://backstage.test/api/proxy/eci-virtual/v1/aggregates?repo=acme%2Fwidgets',
    );
    // An older controller's answer (no perRepositoryDay) is not the contract.
    const { perRepositoryDay: _, ...older } = aggregatesResponse();
    const old = clientAnswering(() => json(older));
    await expect(old.client.getAggregates('acme/widgets')).rejects.toThrow(
      'The controller answered /v1/aggregates without perDay and perRepositoryDay lists',
    );
  });

  it('encodes characters that would otherwise split the query', async () => {
    const { client, fetch } = clientAnswering(() => json(settingsResponse), 'http://backstage.test/api/proxy/');
    await client.getSettings('acme/we&rd=name');
    const url = String(fetch.mock.calls[0]![0]);
    expect(url).toBe('http://backstage.test/api/proxy/eci-virtual/v1/settings?repo=acme%2Fwe%26rd%3Dname');
  });

  it("reads the autopilot's decisions of the repository and refuses an answer without them", async () => {
    const { client, fetch } = clientAnswering(() => json(autopilotResponse));
    expect(await client.getAutopilot('acme/widgets')).toEqual(autopilotResponse);
    expect(String(fetch.mock.calls[0]![0])).toBe(
      'http://backstage.test/api/proxy/eci-virtual/v1/image-cache/autopilot?repo=acme%2Fwidgets',
    );
    const bad = clientAnswering(() => json({ enabled: true }));
    await expect(bad.client.getAutopilot('acme/widgets')).rejects.toBeInstanceOf(ElasticCiInvalidResponseError);
  });

  it('rejects a 401 with a ResponseError that carries the status and the controller message', async () => {
    const { client } = clientAnswering(() =>
      json({ error: { code: 'unauthorized', message: 'missing or wrong portal token' } }, 401),
    );
    const error = await client.getJobs('acme/widgets').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResponseError);
    expect((error as ResponseError).statusCode).toBe(401);
    expect((error as ResponseError).cause.message).toContain('missing or wrong portal token');
  });

  it('rejects a 500 with a ResponseError', async () => {
    const { client } = clientAnswering(() => new Response('upstream exploded', { status: 500 }));
    const error = await client.getSettings('acme/widgets').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResponseError);
    expect((error as ResponseError).statusCode).toBe(500);
    expect((error as ResponseError).message).toContain('500');
    expect((error as ResponseError).cause.message).toContain('upstream exploded');
  });

  it('rejects a 2xx body that is not JSON', async () => {
    const { client } = clientAnswering(
      () => new Response('<html>Backstage</html>', { status: 200, headers: { 'content-type': 'text/html' } }),
    );
    const error = await client.getJobs('acme/widgets').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ElasticCiInvalidResponseError);
    expect((error as Error).name).toBe('ElasticCiInvalidResponseError');
  });

  it('rejects JSON that is not the contract', async () => {
    const { client } = clientAnswering(() => json({ items: [] }));
    await expect(client.getJobs('acme/widgets')).rejects.toBeInstanceOf(ElasticCiInvalidResponseError);
    const settings = clientAnswering(() => json([]));
    await expect(settings.client.getSettings('acme/widgets')).rejects.toBeInstanceOf(ElasticCiInvalidResponseError);
  });

  it('passes the abort signal to fetch', async () => {
    const { client, fetch } = clientAnswering(() => json(jobsResponse()));
    const controller = new AbortController();
    await client.getJobs('acme/widgets', { signal: controller.signal });
    expect(fetch.mock.calls[0]![1]?.signal).toBe(controller.signal);
  });

  it('wraps a fetch that rejects (no answer at all) in an ElasticCiNetworkError naming the URL', async () => {
    const cause = new TypeError('Failed to fetch');
    const { client } = clientAnswering(() => Promise.reject(cause));
    const error = await client.getJobs('acme/widgets').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ElasticCiNetworkError);
    expect((error as ElasticCiNetworkError).name).toBe('ElasticCiNetworkError');
    expect((error as ElasticCiNetworkError).message).toMatch(
      /^Could not reach the eci-virtual controller at http:\/\/backstage\.test\/api\/proxy\/eci-virtual\/v1\/jobs\?repo=acme%2Fwidgets/,
    );
    expect((error as ElasticCiNetworkError).message).toContain('Failed to fetch');
    expect((error as ElasticCiNetworkError).cause).toBe(cause);

    const settings = clientAnswering(() => Promise.reject(new TypeError('fetch failed')));
    await expect(settings.client.getSettings('acme/widgets')).rejects.toThrow(
      /^Could not reach the eci-virtual controller at .*\/v1\/settings\?repo=acme%2Fwidgets.*fetch failed/,
    );
  });

  it('wraps a 2xx body that cannot be read in an ElasticCiNetworkError', async () => {
    const cause = new TypeError('terminated');
    const broken = new Response('{"jobs": [', { status: 200, headers: { 'content-type': 'application/json' } });
    broken.text = () => Promise.reject(cause);
    const { client } = clientAnswering(() => broken);
    const error = await client.getJobs('acme/widgets').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ElasticCiNetworkError);
    expect((error as Error).message).toContain('Could not reach the eci-virtual controller at http://backstage.test');
    expect((error as Error).message).toContain('the answer broke off');
    expect((error as ElasticCiNetworkError).cause).toBe(cause);
  });

  it('lets an abort the caller asked for reject with the AbortError itself, while and after fetching', async () => {
    const controller = new AbortController();
    const abortError = new DOMException('This operation was aborted', 'AbortError');
    const { client } = clientAnswering(() => {
      controller.abort();
      return Promise.reject(abortError);
    });
    const error = await client.getJobs('acme/widgets', { signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toBe(abortError);
    expect(error).not.toBeInstanceOf(ElasticCiNetworkError);

    const later = new AbortController();
    const aborted = new Response('{}', { status: 200 });
    aborted.text = () => {
      later.abort();
      return Promise.reject(abortError);
    };
    const reading = clientAnswering(() => aborted);
    await expect(reading.client.getSettings('acme/widgets', { signal: later.signal })).rejects.toBe(abortError);
  });

  it('wraps an AbortError the caller did not ask for (e.g. a timeout in a fetch wrapper)', async () => {
    const timeout = new DOMException('The operation timed out', 'TimeoutError');
    const { client } = clientAnswering(() => Promise.reject(timeout));
    const error = await client.getJobs('acme/widgets', { signal: new AbortController().signal }).catch((e) => e);
    expect(error).toBeInstanceOf(ElasticCiNetworkError);
    expect((error as Error).message).toContain('The operation timed out');
  });
});
