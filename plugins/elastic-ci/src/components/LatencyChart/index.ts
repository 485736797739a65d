export { LatencyChart } from './LatencyChart.js';
