export { ImageCachePanel } from './ImageCachePanel';
