import {
  createApiFactory,
  createPlugin,
  createRoutableExtension,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import { elasticCiApiRef } from './api/ElasticCiApi.js';
import { ElasticCiClient } from './api/ElasticCiClient.js';
import { rootRouteRef } from './routes.js';

/**
 * The Elastic CI plugin for the legacy frontend system.
 *
 * @public
 */
export const elasticCiPlugin = createPlugin({
  id: 'elastic-ci',
  apis: [
    createApiFactory({
      api: elasticCiApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) => new ElasticCiClient({ discoveryApi, fetchApi }),
    }),
  ],
  routes: { entityContent: rootRouteRef },
});

/**
 * The entity page tab: jobs, start latency, placement, image cache and cost for the entity's repository.
 *
 * @public
 */
export const EntityElasticCiContent = elasticCiPlugin.provide(
  createRoutableExtension({
    name: 'EntityElasticCiContent',
    component: () => import('./components/ElasticCiContent/index.js').then((m) => m.ElasticCiContent),
    mountPoint: rootRouteRef,
  }),
);
