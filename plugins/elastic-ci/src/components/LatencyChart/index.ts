export { LatencyChart } from './LatencyChart';
