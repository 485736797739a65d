export { ImageCachePanel } from './ImageCachePanel.js';
