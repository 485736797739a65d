export { PlacementBadge } from './PlacementBadge';
