// Standalone dev page: the Elastic CI tab in a Backstage test app, talking to a real controller (or any server that
// speaks the portal API). Everything comes from the query string:
//   ?api=http://127.0.0.1:PORT   controller base URL (default: this page's origin)
//   &repo=owner/name             the entity's github.com/project-slug (omit it to see the missing-annotation state)
//   &token=...                   portal bearer token (what the Backstage proxy would add)
//   &proxyPath=/eci-virtual      path between `api` and /v1 (default none: the controller itself)
//   &refreshMs=10000             auto-refresh interval while jobs are active
import type { Entity } from '@backstage/catalog-model';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { TestApiProvider, wrapInTestApp } from '@backstage/test-utils';
import { createRoot } from 'react-dom/client';
import { elasticCiApiRef } from '../src/api/ElasticCiApi.js';
import { ElasticCiClient } from '../src/api/ElasticCiClient.js';
import { ElasticCiContent } from '../src/components/ElasticCiContent/index.js';

const params = new URLSearchParams(window.location.search);
const apiBase = params.get('api') ?? window.location.origin;
const repo = params.get('repo');
const token = params.get('token');
const refreshMs = Number(params.get('refreshMs') ?? '10000');

const client = new ElasticCiClient({
  discoveryApi: { getBaseUrl: async () => apiBase },
  fetchApi: {
    fetch: (input, init) => {
      const headers = new Headers(init?.headers);
      if (token) headers.set('Authorization', `Bearer ${token}`);
      return window.fetch(input, { ...init, headers });
    },
  },
  proxyPath: params.get('proxyPath') ?? '',
});

const entity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: repo ? repo.replace(/[^A-Za-z0-9_.-]/g, '-') : 'no-repo',
    annotations: repo ? { 'github.com/project-slug': repo } : {},
  },
  spec: { type: 'service', lifecycle: 'experimental', owner: 'dev' },
};

const container = document.getElementById('root');
if (!container) throw new Error('dev page: no #root element');
createRoot(container).render(
  wrapInTestApp(
    <TestApiProvider apis={[[elasticCiApiRef, client]]}>
      <EntityProvider entity={entity}>
        <ElasticCiContent refreshIntervalMs={Number.isFinite(refreshMs) && refreshMs > 0 ? refreshMs : 10_000} />
      </EntityProvider>
    </TestApiProvider>,
  ),
);
