// Standalone dev page: the Elastic CI tab inside a Backstage app built with Backstage's own app shell (`createApp`
// from @backstage/app-defaults: the default API implementations, themes, icons, app components and router), the
// plugin registered as an app plugin with its own API factory — as in a real app's App.tsx. The entity page is the
// one thing stood in for: an EntityProvider around the plugin's routable tab at `/` (no catalog backend here).
//
// The plugin reads the controller through the app's DiscoveryApi and FetchApi: `${backend.baseUrl}/api/proxy` +
// `/eci-virtual/v1/...`, i.e. Backstage's proxy endpoint, which the page's server stands in for (dev/browser.ts:
// serveDevPage forwards /api/proxy/eci-virtual to the controller with the portal token). Query string:
//   ?repo=owner/name             the entity's github.com/project-slug (omit it to see the missing-annotation state)
//   &backend=http://HOST:PORT    the app config's backend.baseUrl (default: this page's origin)
//   &refreshMs=10000             auto-refresh interval while jobs are active
// Without a proxy in front, straight at a controller (or the fixture server) that allows CORS:
//   &api=http://HOST:PORT&token=...   replaces the plugin's API with a client that calls `api`/v1/... with the token
import type { Entity } from '@backstage/catalog-model';
import { createApp } from '@backstage/app-defaults';
import { FlatRoutes } from '@backstage/core-app-api';
import { createApiFactory } from '@backstage/core-plugin-api';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { createRoot } from 'react-dom/client';
import { Route } from 'react-router-dom';
import { elasticCiApiRef } from '../src/api/ElasticCiApi.js';
import { ElasticCiClient } from '../src/api/ElasticCiClient.js';
import { EntityElasticCiContent, elasticCiPlugin } from '../src/plugin.js';

const params = new URLSearchParams(window.location.search);
const repo = params.get('repo');
const refreshMs = Number(params.get('refreshMs') ?? '10000');
const backend = params.get('backend') ?? window.location.origin;
const directApi = params.get('api');
const token = params.get('token');

/** Straight at `api` with the portal token, for servers reached without a proxy. */
const directClient = (api: string) =>
  new ElasticCiClient({
    discoveryApi: { getBaseUrl: async () => api },
    fetchApi: {
      fetch: (input, init) => {
        const headers = new Headers(init?.headers);
        if (token) headers.set('Authorization', `Bearer ${token}`);
        return window.fetch(input, { ...init, headers });
      },
    },
    proxyPath: '',
  });

const app = createApp({
  plugins: [elasticCiPlugin],
  // App-level factories win over the plugin's: only in direct mode is the plugin's own client replaced.
  apis: directApi ? [createApiFactory({ api: elasticCiApiRef, deps: {}, factory: () => directClient(directApi) })] : [],
  configLoader: async () => [
    {
      context: 'dev-page',
      data: {
        app: { title: 'Elastic CI dev app', baseUrl: window.location.origin },
        backend: { baseUrl: backend },
      },
    },
  ],
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

const AppProvider = app.getProvider();
const AppRouter = app.getRouter();
const container = document.getElementById('root');
if (!container) throw new Error('dev page: no #root element');
createRoot(container).render(
  <AppProvider>
    <AppRouter>
      <div data-testid="backstage-app-shell">
        <EntityProvider entity={entity}>
          <FlatRoutes>
            <Route
              path="/"
              element={
                <EntityElasticCiContent
                  refreshIntervalMs={Number.isFinite(refreshMs) && refreshMs > 0 ? refreshMs : 10_000}
                />
              }
            />
          </FlatRoutes>
        </EntityProvider>
      </div>
    </AppRouter>
  </AppProvider>,
);
