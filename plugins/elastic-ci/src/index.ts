/**
 * Backstage plugin for eci-virtual: an entity tab with the repository's GitHub Actions jobs on Kubernetes virtual
 * nodes — start latency, placement, image cache and cost — read through the Backstage proxy from the controller.
 *
 * @packageDocumentation
 */
export { elasticCiPlugin, EntityElasticCiContent } from './plugin.js';
export { GITHUB_PROJECT_SLUG_ANNOTATION, getProjectSlug, isElasticCiAvailable } from './annotations.js';
export {
  elasticCiApiRef,
  type ElasticCiApi,
  type GetAggregatesOptions,
  type GetJobsOptions,
} from './api/ElasticCiApi.js';
export {
  ElasticCiClient,
  ElasticCiInvalidResponseError,
  ElasticCiNetworkError,
  type ElasticCiClientOptions,
} from './api/ElasticCiClient.js';
export type { ElasticCiContentProps } from './components/ElasticCiContent/index.js';
export type * from '@eci-virtual/contract/portal';
