export { PlacementBadge } from './PlacementBadge.js';
