export { AggregatesCard, type AggregatesCardProps } from './AggregatesCard.js';
