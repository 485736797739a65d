export { ElasticCiContent, type ElasticCiContentProps } from './ElasticCiContent.js';
