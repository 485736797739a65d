import { ApiBlueprint, createFrontendPlugin } from '@backstage/frontend-plugin-api';
import { discoveryApiRef, fetchApiRef } from '@backstage/core-plugin-api';
import { EntityContentBlueprint } from '@backstage/plugin-catalog-react/alpha';
import { createElement } from 'react';
import { isElasticCiAvailable } from './annotations.js';
import { elasticCiApiRef } from './api/ElasticCiApi.js';
import { ElasticCiClient } from './api/ElasticCiClient.js';

/** @alpha */
export const elasticCiApi = ApiBlueprint.make({
  params: (defineParams) =>
    defineParams({
      api: elasticCiApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) => new ElasticCiClient({ discoveryApi, fetchApi }),
    }),
});

/** @alpha */
export const elasticCiEntityContent = EntityContentBlueprint.make({
  params: {
    path: '/elastic-ci',
    title: 'Elastic CI',
    filter: isElasticCiAvailable,
    loader: () => import('./components/ElasticCiContent/index.js').then((m) => createElement(m.ElasticCiContent)),
  },
});

/**
 * The Elastic CI plugin for the new frontend system: the API and the entity tab (shown for entities with
 * `github.com/project-slug`).
 *
 * @alpha
 */
export default createFrontendPlugin({
  pluginId: 'elastic-ci',
  extensions: [elasticCiApi, elasticCiEntityContent],
});
