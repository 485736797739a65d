/**
 * Backstage plugin for eci-virtual: an entity tab with the repository's GitHub Actions jobs on Kubernetes virtual
 * nodes — start latency, placement, image cache and cost — read through the Backstage proxy from the controller.
 *
 * @packageDocumentation
 */
export { elasticCiPlugin, EntityElasticCiContent } from './plugin';
export { GITHUB_PROJECT_SLUG_ANNOTATION, getProjectSlug, isElasticCiAvailable } from './annotations';
export { elasticCiApiRef, type ElasticCiApi, type GetJobsOptions } from './api/ElasticCiApi';
export { ElasticCiClient, ElasticCiInvalidResponseError, type ElasticCiClientOptions } from './api/ElasticCiClient';
export type { ElasticCiContentProps } from './components/ElasticCiContent';
export type * from './api/types';
